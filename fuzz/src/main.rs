//! AFL entry point: every input goes through every pure stage hostile input reaches
//! (`outloud::core::exercise::exercise_all`: the pipeline three ways, the planner, search,
//! digest rendering, web replies, sign-in parsing). A panic is a crash; scripts/fuzz.sh saves it under
//! tests/fixtures/fuzz/ and tests/fuzz_regressions.rs replays it in the main test suite.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        outloud_fuzz::core::exercise::exercise_all(data);
    });
}
