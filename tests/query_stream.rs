//! A compiled query over a stream: the stream decoder hands out each top-level value as a
//! frame once its last byte has arrived, and the query runs on the frame. The matches are the
//! same as over the whole slice, however the input is chunked.

use msgskim::gen::{listing, ListingConfig, Rng};
use msgskim::query::{Query, Rows};
use msgskim::StreamDecoder;

#[test]
fn chunked_stream_gives_the_slice_matches() {
    let dump = listing(ListingConfig {
        seed: 21,
        entries: 5_000,
        page_size: 700,
    });
    let q = Query::many([
        ".Entries[*].n",
        ".ContinuationToken",
        ".Flags",
        ".Entries[-1].s",
    ])
    .unwrap();
    let rows = Rows::new(".Entries[*]", [".n", ".s"]).unwrap();
    let mut want = Vec::new();
    q.for_each(&dump, |m| {
        want.push((m.offset() as u64, m.path(), m.bytes().to_vec()))
    })
    .unwrap();
    let mut want_rows = Vec::new();
    rows.for_each(&dump, |r| {
        want_rows.push(r.map(|v| v.map(|v| v.as_bytes().to_vec())))
    })
    .unwrap();
    assert!(want.len() > 5_000);

    let mut rng = Rng::new(3);
    for max_chunk in [1usize, 7, 4096, 1 << 20] {
        let mut dec = StreamDecoder::new();
        let mut got = Vec::new();
        let mut got_rows = Vec::new();
        let mut fed = 0;
        while fed < dump.len() {
            let n = (1 + rng.below(max_chunk as u64) as usize).min(dump.len() - fed);
            dec.feed(&dump[fed..fed + n]).unwrap();
            fed += n;
            while let Some(frame) = dec.next_frame().unwrap() {
                let base = frame.offset();
                q.for_each(&frame, |m| {
                    got.push((base + m.offset() as u64, m.path(), m.bytes().to_vec()))
                })
                .unwrap();
                rows.for_each(&frame, |r| {
                    got_rows.push(r.map(|v| v.map(|v| v.as_bytes().to_vec())))
                })
                .unwrap();
            }
        }
        dec.finish().unwrap();
        assert_eq!(got, want, "chunks up to {max_chunk} bytes");
        assert_eq!(got_rows, want_rows);
    }
}
