//! The README's Rust snippet is the marked part of `examples/tour.rs` (which `scripts/test.sh`
//! runs), and every error code the README names exists.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn normalise(block: &str) -> Vec<String> {
    block.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect()
}

#[test]
fn readme_tour_is_the_tested_example() {
    let example = read("examples/tour.rs");
    let start = example.find("// START tour").expect("START marker") + "// START tour".len();
    let end = example.find("// END tour").expect("END marker");
    let readme = read("../README.md");
    let block = readme.split("```rust").nth(1).and_then(|b| b.split("```").next()).expect("a rust block in README");
    assert_eq!(normalise(block), normalise(&example[start..end]), "README tour and examples/tour.rs differ");
}

#[test]
fn error_codes_named_in_the_docs_exist() {
    let docs = read("../README.md") + &read("../ARCHITECTURE.md");
    for code in ["insufficient_buying_power", "max_open_orders_exceeded", "idempotency_conflict"] {
        assert!(docs.contains(code));
        assert!(vectrade_core::ErrorKind::from_code(code).is_some(), "{code} is not a code");
    }
}
