//! pooul SDK (work in progress).
