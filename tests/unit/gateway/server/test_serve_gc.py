"""`gateway serve` tunes the garbage collector once the app has started."""

from __future__ import annotations

import gc

from gateway.server.serve import GC_GEN0_THRESHOLD, _tune_gc


def test_startup_objects_are_frozen_and_young_collections_are_rarer() -> None:
    thresholds = gc.get_threshold()
    try:
        _tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
