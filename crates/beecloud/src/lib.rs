//! beecloud SDK (work in progress).
