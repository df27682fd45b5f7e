"""A small per-process cache of rendered HTML fragments, bounded and thread-safe.

Rendering a module (about 135 segments, each looked up in the catalog) costs
far more than everything else on its page; the fragment changes only when the
module's source, the language's catalog revision or the rendering options do.
The caller keys on those (curriculum.routes).
"""

import threading
from collections import OrderedDict


class RenderCache:
    """Keep the most recently used `size` values; evict the oldest."""

    def __init__(self, size):
        self.size = size
        self._values = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self):
        with self._lock:
            self._values.clear()

    def __len__(self):
        return len(self._values)
