"""Reports and indicators: who was trained, in what, for coordinators and the donor."""
