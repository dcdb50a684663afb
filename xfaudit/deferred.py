"""Modules imported on first use rather than when an importer names them.

Great Expectations imports scipy.stats, altair and jsonschema when it is imported — about
0.8 s of its 2–2.5 s import — for three expectations xfaudit never runs (a KL divergence,
two KS tests) and one JSON-schema metric. :func:`defer` puts a stand-in for such a module in
``sys.modules``: ``import altair as alt`` or ``from scipy import stats`` binds the stand-in
at no cost, and the first attribute read through it (``stats.entropy``, ``alt.Chart``)
imports the real module, which from then on is the one in ``sys.modules``. Nothing changes
for code that uses the module; only its import moves to the first use.

The stand-in answers the import system's own questions (``__spec__``, ``__name__``) itself,
so importing a name already in ``sys.modules`` never loads it early — unlike
:class:`importlib.util.LazyLoader`, whose modules load as soon as the import statement looks
at them. A module that is not installed is not deferred: its import fails where it always did.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types

_LOADING = threading.RLock()


class DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute is read from it."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__spec__ = importlib.machinery.ModuleSpec(name, None)
        self.__dict__["_real"] = None

    def __getattr__(self, attr: str):
        return getattr(self.real_module(), attr)

    def __dir__(self):
        return dir(self.real_module())

    def real_module(self) -> types.ModuleType:
        """The module itself, imported now if it was not yet (once, whichever thread asks)."""
        real = self.__dict__["_real"]
        if real is None:
            with _LOADING:
                real = self.__dict__["_real"]
                if real is None:
                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]
                    real = importlib.import_module(self.__name__)
                    self.__dict__["_real"] = real
        return real


def defer(*names: str) -> list[str]:
    """Put a :class:`DeferredModule` in ``sys.modules`` for each of ``names`` that is
    installed and not imported yet; returns the names deferred."""
    deferred = []
    for name in names:
        if name in sys.modules or not _installed(name):
            continue
        sys.modules[name] = DeferredModule(name)
        deferred.append(name)
    return deferred


def is_deferred(name: str) -> bool:
    """Whether ``sys.modules[name]`` is still a stand-in (the module not imported yet)."""
    return isinstance(sys.modules.get(name), DeferredModule)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


__all__ = ["DeferredModule", "defer", "is_deferred"]
