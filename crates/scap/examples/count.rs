//! Count records in captures: `cargo run -p scap --example count -- FILE...`.
fn main() {
    for path in std::env::args().skip(1) {
        let cap = match scap::Capture::open(&path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let (mut ev, mut meta, mut unk) = (0u64, 0u64, 0u64);
        let mut err = None;
        for r in cap.records() {
            match r {
                Ok(scap::Record::Event(_)) => ev += 1,
                Ok(scap::Record::Unknown(_)) => unk += 1,
                Ok(_) => meta += 1,
                Err(e) => err = Some(e),
            }
        }
        println!("{path}: events={ev} meta={meta} unknown={unk} err={err:?}");
    }
}
