//! End-to-end tests of Nguồn live in `tests/`; this library is empty on purpose.
