//! Filter tests: the spec's conformance table, plus parser, compiler and evaluator behaviour.

mod compile_tests;
mod conformance;
mod eval_tests;
mod fake;
mod parse_tests;
