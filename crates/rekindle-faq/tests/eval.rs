//! The held-out evaluation (crates/rekindle-faq/eval; docs/service.md, "FAQ assistant"): the
//! questions were written without seeing the knowledge base's phrasings. Retrieval must beat
//! the character-bigram baseline on top-1 accuracy at a threshold chosen on the tuning set, and
//! what it answers must be right nine times in ten.

use rekindle_faq::eval::{Labelled, best, choose_threshold, metrics, read};
use rekindle_faq::{Bigrams, DEFAULT_THRESHOLD, Index, starter};

fn set(name: &str) -> Vec<Labelled> {
    let path = format!("{}/eval/{name}.jsonl", env!("CARGO_MANIFEST_DIR"));
    read(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn retrieval_beats_the_bigram_baseline_on_held_out_questions() {
    let (held, tune) = (set("heldout"), set("tune"));
    assert!(held.len() >= 200 && tune.len() >= 100);
    let kb = starter();
    for e in &kb {
        assert_eq!(e.check(), vec![], "{}", e.id);
    }
    let index = Index::new(kb.clone());
    let threshold = choose_threshold(&tune, &best(&index, &tune));
    assert_eq!(threshold, DEFAULT_THRESHOLD, "the default is what the tuning set chooses");
    let ours = metrics(&held, &best(&index, &held), threshold);
    let bigrams = Bigrams::new(&kb);
    let theirs = metrics(&held, &best(&bigrams, &held), choose_threshold(&tune, &best(&bigrams, &tune)));
    assert!(ours.top1_accuracy > theirs.top1_accuracy, "{ours:?} against {theirs:?}");
    assert!(ours.precision >= 0.9, "{ours:?}");
    assert!(ours.recall >= theirs.recall, "{ours:?} against {theirs:?}");
}
