//! mifeng SDK (work in progress).
