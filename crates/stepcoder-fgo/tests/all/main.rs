//! Integration tests of stepcoder-fgo (one test binary).
