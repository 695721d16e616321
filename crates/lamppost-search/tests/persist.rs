//! The persisted index file: used when valid, never when stale, damaged or foreign, and safe
//! to replace while a reader holds the old one. Real SQLite files built by the demo builder.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lamppost_core::geo::LatLon;
use lamppost_core::readback::Lang;
use lamppost_data::store::{Access, NewVersion, Store, StoreError, VersionCounts};
use lamppost_search::{SearchIndex, persist};

fn demo_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    lamppost_data::demo::create_demo_database(&path, "test").unwrap();
    (dir, path)
}

fn index_files(db: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(persist::dir_of(db)) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == persist::EXTENSION))
        .collect();
    v.sort();
    v
}

/// Everything a call-taker sees for a sample of codes and queries, as text.
fn answers(index: &SearchIndex) -> Vec<String> {
    let mut out = vec![format!(
        "{:?} {} {:?}",
        index.info(),
        index.len(),
        index.position_counts()
    )];
    let step = (index.len() / 97).max(1);
    for id in (0..index.len() as u32).step_by(step) {
        let p = index.pole(id);
        let code = p.code().to_owned();
        out.push(format!(
            "{} {} {} {:?} {:?} {} {} {} {} {} {}",
            p.key(),
            code,
            p.street().name,
            p.pole_no(),
            p.point(),
            p.address(),
            p.landmark(),
            p.cross_street(),
            p.jurisdiction(),
            p.note(),
            p.readback(Lang::Zh)
        ));
        out.push(format!("{:?}", index.lookup(&code)));
        out.push(format!("{:?}", index.search(&code[..code.len() - 1], 10)));
        out.push(format!("{:?}", index.confusables(id, 8)));
        if let Some(at) = p.point() {
            out.push(format!("{:?}", index.nearest_k(at, 3)));
        }
    }
    for q in [
        "中山",
        "zhongshan",
        "zs",
        "重庆北路12",
        "公园",
        "99999999",
        "A1",
    ] {
        out.push(format!("{q}: {:?}", index.search(q, 20)));
    }
    let mut boxed = Vec::new();
    index.within(LatLon::new(25.0, 121.4), LatLon::new(25.1, 121.6), |id| {
        boxed.push(id);
    });
    boxed.sort_unstable();
    out.push(format!("{boxed:?}"));
    out
}

/// Changes one pole's address in a new data version, as an import would.
fn change_address(db: &Path, code: &str, address: &str) {
    let mut store = Store::open(db, Access::ReadWrite).unwrap();
    let new = NewVersion {
        applied_by: "test",
        source_name: "test.csv",
        source_sha256: "",
        datum: "wgs84",
        note: "",
        cancelled: None,
    };
    store
        .write_version::<(), StoreError>(&new, |w| {
            let mut row = w.pole(code)?.unwrap();
            address.clone_into(&mut row.address);
            w.replace_pole(&row)?;
            Ok((
                (),
                Some(VersionCounts {
                    changed: 1,
                    ..VersionCounts::default()
                }),
            ))
        })
        .unwrap();
}

#[test]
fn the_first_open_writes_the_file_and_the_second_maps_it_with_the_same_answers() {
    let (_dir, db) = demo_db();
    let built = SearchIndex::build(&db).unwrap();
    assert!(!built.is_mapped());
    assert!(index_files(&db).is_empty(), "build alone writes nothing");

    let first = SearchIndex::open(&db).unwrap();
    assert!(!first.is_mapped(), "no file yet: built from the database");
    assert_eq!(index_files(&db).len(), 1, "and written");

    let second = SearchIndex::open(&db).unwrap();
    assert!(second.is_mapped(), "the file is used");
    assert_eq!(second.heap_bytes(), 0, "nothing copied out of the file");
    assert_eq!(answers(&second), answers(&built));
}

#[test]
fn a_stale_file_is_not_used_and_is_replaced() {
    let (_dir, db) = demo_db();
    let before = SearchIndex::open(&db).unwrap();
    let code = before.pole(7).code().to_owned();
    let old_files = index_files(&db);
    assert_eq!(old_files.len(), 1);

    change_address(&db, before.pole(7).key(), "新地址 1 号");
    let after = SearchIndex::open(&db).unwrap();
    assert!(!after.is_mapped(), "the old file is for another version");
    let id = after.lookup(&code).unwrap();
    assert_eq!(after.pole(id).address(), "新地址 1 号");
    assert_eq!(after.info().data_version, before.info().data_version + 1);

    let files = index_files(&db);
    assert_eq!(files.len(), 1, "the old file is deleted: {files:?}");
    assert_ne!(files, old_files);
    let again = SearchIndex::open(&db).unwrap();
    assert!(again.is_mapped());
    assert_eq!(answers(&again), answers(&SearchIndex::build(&db).unwrap()));
}

#[test]
fn a_file_of_the_same_version_number_but_other_data_is_not_used() {
    // Two databases at the same data version: one's index copied where the other's belongs.
    let (_d1, db1) = demo_db();
    let (_d2, db2) = demo_db();
    change_address(&db1, SearchIndex::build(&db1).unwrap().pole(3).key(), "甲");
    change_address(&db2, SearchIndex::build(&db2).unwrap().pole(3).key(), "乙");
    let i1 = SearchIndex::open(&db1).unwrap();
    drop(SearchIndex::open(&db2).unwrap());
    let s1 = Store::open(&db1, Access::ReadOnly).unwrap();
    let s2 = Store::open(&db2, Access::ReadOnly).unwrap();
    assert_eq!(s1.data_version().unwrap(), s2.data_version().unwrap());
    let (v2, stamp2) = (s2.data_version().unwrap(), s2.content_stamp().unwrap());
    assert_ne!(s1.content_stamp().unwrap(), stamp2);
    let target = persist::path_for(&db2, v2, &stamp2);
    std::fs::copy(&index_files(&db1)[0], &target).unwrap();
    let opened = SearchIndex::open(&db2).unwrap();
    assert!(!opened.is_mapped(), "a foreign file is never used");
    assert_eq!(opened.pole(3).address(), "乙");
    assert_eq!(i1.pole(3).address(), "甲");
}

/// Writes the file, damages it with `harm`, and checks the next open ignores it, answers
/// right, and writes a good file again.
fn damaged(harm: impl Fn(&mut Vec<u8>)) {
    let (_dir, db) = demo_db();
    let truth = answers(&SearchIndex::open(&db).unwrap());
    let file = index_files(&db).remove(0);
    let mut bytes = std::fs::read(&file).unwrap();
    harm(&mut bytes);
    std::fs::write(&file, &bytes).unwrap();

    let opened = SearchIndex::open(&db).unwrap();
    assert!(!opened.is_mapped(), "a damaged file is never used");
    assert_eq!(answers(&opened), truth);
    let healed = SearchIndex::open(&db).unwrap();
    assert!(healed.is_mapped(), "a good file was written again");
    assert_eq!(answers(&healed), truth);
}

#[test]
fn a_damaged_file_is_not_used() {
    // One byte flipped in the header, the section table, and at spread places in the data.
    damaged(|b| b[20] ^= 0x01);
    damaged(|b| b[100] ^= 0x80);
    for frac in [0.1, 0.33, 0.5, 0.77, 0.999] {
        damaged(move |b| {
            let at = ((b.len() as f64) * frac) as usize;
            b[at] ^= 0x10;
        });
    }
    damaged(|b| {
        let n = b.len();
        b[n - 1] ^= 0xff;
    });
}

/// Each section's (offset, length), read from the section table after the 72-byte header
/// (32 bytes an entry: id, value size, offset, length, checksum).
fn sections(b: &[u8]) -> Vec<(usize, usize)> {
    let n = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| {
            let e = &b[72 + 32 * i..72 + 32 * (i + 1)];
            let word = |at: usize| u64::from_le_bytes(e[at..at + 8].try_into().unwrap()) as usize;
            (word(8), word(16))
        })
        .collect()
}

#[test]
fn damage_in_any_one_section_is_found() {
    // Every section, the small ones included (name indexes, key filter, meta): its middle
    // byte flipped. An empty section has nothing to damage.
    let (_dir, db) = demo_db();
    drop(SearchIndex::open(&db).unwrap());
    let bytes = std::fs::read(&index_files(&db)[0]).unwrap();
    let all = sections(&bytes);
    assert!(all.len() >= 31, "{} sections", all.len());
    let mut tried = 0;
    for (offset, len) in all {
        if len > 0 {
            damaged(move |b| b[offset + len / 2] ^= 0x04);
            tried += 1;
        }
    }
    assert!(tried >= 25, "only {tried} sections hold data");
}

#[test]
fn a_truncated_or_extended_file_is_not_used() {
    damaged(|b| b.truncate(b.len() / 2));
    damaged(|b| b.truncate(b.len() - 1));
    damaged(|b| b.truncate(10));
    damaged(Vec::clear);
    damaged(|b| b.extend_from_slice(b"more"));
}

#[test]
fn a_file_with_another_magic_or_format_is_not_used() {
    damaged(|b| b[0] = b'X');
    // The next format version, and the one before (a fixed-up header checksum would not
    // help: still refused).
    damaged(|b| b[8..12].copy_from_slice(&(persist::FORMAT + 1).to_le_bytes()));
    damaged(|b| b[8..12].copy_from_slice(&(persist::FORMAT - 1).to_le_bytes()));
    damaged(|b| {
        b.clear();
        b.extend_from_slice(b"SQLite format 3\0 not an index at all");
    });
}

#[test]
fn junk_in_the_index_folder_is_ignored_and_cleaned_up() {
    let (_dir, db) = demo_db();
    std::fs::create_dir_all(persist::dir_of(&db)).unwrap();
    std::fs::write(
        persist::dir_of(&db).join("0-0000000000000000.lpidx"),
        b"junk",
    )
    .unwrap();
    let a = SearchIndex::open(&db).unwrap();
    assert!(!a.is_mapped());
    assert_eq!(index_files(&db).len(), 1, "the junk is cleaned up");
    assert!(SearchIndex::open(&db).unwrap().is_mapped());
}

#[test]
fn an_index_folder_that_cannot_be_written_is_no_error() {
    // A file where the folder should be: nothing can be written (as in a read-only folder;
    // the tests run as root, which permissions would not stop).
    let (_dir, db) = demo_db();
    std::fs::write(persist::dir_of(&db), b"not a folder").unwrap();
    let truth = answers(&SearchIndex::build(&db).unwrap());
    for _ in 0..2 {
        let opened = SearchIndex::open(&db).unwrap();
        assert!(!opened.is_mapped());
        assert_eq!(answers(&opened), truth);
    }
}

#[test]
fn a_reader_keeps_the_old_index_while_new_data_replaces_it_then_switches() {
    let (_dir, db) = demo_db();
    drop(SearchIndex::open(&db).unwrap());
    let old = Arc::new(SearchIndex::open(&db).unwrap());
    assert!(old.is_mapped());
    let truth = answers(&old);
    let key = old.pole(11).key().to_owned();
    let old_address = old.pole(11).address().to_owned();

    // Readers on other threads keep asking while new versions are written and indexed.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (old, stop, truth) = (Arc::clone(&old), Arc::clone(&stop), truth.clone());
            std::thread::spawn(move || {
                let mut rounds = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || rounds == 0 {
                    assert_eq!(answers(&old), truth);
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    for i in 0..3 {
        change_address(&db, &key, &format!("第 {i} 版"));
        let new = SearchIndex::open(&db).unwrap();
        let id = new.lookup(&key).unwrap();
        assert_eq!(new.pole(id).address(), format!("第 {i} 版"));
        assert_eq!(
            index_files(&db).len(),
            1,
            "the old file is gone from the folder"
        );
        let mapped = SearchIndex::open(&db).unwrap();
        assert!(mapped.is_mapped());
        assert_eq!(mapped.pole(id).address(), format!("第 {i} 版"));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(
        old.pole(11).address(),
        old_address,
        "the old reader still answers"
    );
    assert_eq!(answers(&old), truth);
}
