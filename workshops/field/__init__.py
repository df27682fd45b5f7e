"""Offline field mode: field packs, attendance taken without signal, and sync applied exactly once."""
