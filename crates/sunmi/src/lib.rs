//! sunmi SDK (work in progress).
