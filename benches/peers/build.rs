//! Compiles the C shims against the system's msgpuck and msgpack-c headers when they exist.
//!
//! Each library found sets a cfg (`peers_msgpuck`, `peers_msgpackc`); without it the Rust
//! wrappers return `None` and the benchmarks report the peer as missing.

use std::path::{Path, PathBuf};

fn find_header(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(extra) = std::env::var("MSGSKIM_PEERS_INCLUDE") {
        dirs.extend(std::env::split_paths(&extra));
    }
    dirs.push(PathBuf::from("/usr/include"));
    dirs.push(PathBuf::from("/usr/local/include"));
    if let Ok(multiarch) = std::env::var("TARGET") {
        // Debian keeps some headers under /usr/include/<triple> (x86_64-linux-gnu).
        let triple = multiarch.replace("-unknown-", "-");
        dirs.push(Path::new("/usr/include").join(triple));
    }
    dirs.into_iter().find(|d| d.join(name).is_file())
}

fn find_lib(names: &[&str]) -> Option<(PathBuf, String)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(extra) = std::env::var("MSGSKIM_PEERS_LIB") {
        dirs.extend(std::env::split_paths(&extra));
    }
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    dirs.push(PathBuf::from(format!("/usr/lib/{arch}-linux-gnu")));
    dirs.push(PathBuf::from("/usr/lib"));
    dirs.push(PathBuf::from("/usr/local/lib"));
    for d in dirs {
        for n in names {
            for file in [format!("lib{n}.a"), format!("lib{n}.so")] {
                if d.join(&file).is_file() {
                    return Some((d, (*n).to_string()));
                }
            }
        }
    }
    None
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=csrc/msgpuck_shim.c");
    println!("cargo::rerun-if-changed=csrc/msgpackc_shim.c");
    println!("cargo::rerun-if-env-changed=MSGSKIM_PEERS_INCLUDE");
    println!("cargo::rerun-if-env-changed=MSGSKIM_PEERS_LIB");
    println!("cargo::rerun-if-env-changed=MSGSKIM_PEERS_DISABLE");
    println!("cargo::rustc-check-cfg=cfg(peers_msgpuck)");
    println!("cargo::rustc-check-cfg=cfg(peers_msgpackc)");
    if std::env::var_os("MSGSKIM_PEERS_DISABLE").is_some() {
        println!("cargo::warning=MSGSKIM_PEERS_DISABLE set: building without C peers");
        return;
    }

    match (find_header("msgpuck.h"), find_lib(&["msgpuck"])) {
        (Some(inc), Some((libdir, lib))) => {
            cc::Build::new()
                .file("csrc/msgpuck_shim.c")
                .include(inc)
                .opt_level(3)
                .flag_if_supported("-std=c99")
                .warnings(false)
                .compile("msgskim_peer_msgpuck");
            println!("cargo::rustc-link-search=native={}", libdir.display());
            println!("cargo::rustc-link-lib=static={lib}");
            println!("cargo::rustc-cfg=peers_msgpuck");
        }
        _ => println!(
            "cargo::warning=msgpuck.h / libmsgpuck not found (apt-get install libmsgpuck-dev): msgpuck peer missing"
        ),
    }

    match (find_header("msgpack.h"), find_lib(&["msgpack-c", "msgpackc"])) {
        (Some(inc), Some((libdir, lib))) => {
            cc::Build::new()
                .file("csrc/msgpackc_shim.c")
                .include(inc)
                .opt_level(3)
                .warnings(false)
                .compile("msgskim_peer_msgpackc");
            println!("cargo::rustc-link-search=native={}", libdir.display());
            println!("cargo::rustc-link-lib={lib}");
            println!("cargo::rustc-cfg=peers_msgpackc");
        }
        _ => println!(
            "cargo::warning=msgpack.h / libmsgpackc not found (apt-get install libmsgpack-dev): msgpack-c peer missing"
        ),
    }
}
