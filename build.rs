//! Build script: on Windows targets only, puts the icon and the version information into
//! `lamppost.exe`. Other targets do nothing here.
//!
//! The resource script is compiled with `windres` (MinGW's `x86_64-w64-mingw32-windres` when
//! cross-building from Linux; set `WINDRES` to override) and linked into the binaries as a COFF
//! object. No build dependency is needed, so native builds pay nothing for it.

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/icon/lamppost.ico");
    println!("cargo:rerun-if-env-changed=WINDRES");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    if let Err(e) = windows_resources() {
        // A missing resource costs the icon, not the build: say so loudly.
        println!("cargo:warning=no icon or version information in the .exe: {e}");
    }
}

fn windows_resources() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let icon = manifest.join("assets/icon/lamppost.ico");
    let version = env::var("CARGO_PKG_VERSION")?;
    let mut nums: Vec<u16> = version
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    nums.resize(4, 0);
    let comma = format!("{},{},{},{}", nums[0], nums[1], nums[2], nums[3]);
    let description = "Lamppost 灯杆报警定位 — offline lamp-post alarm-code locator";

    let mut rc = String::new();
    // UTF-8 resource script: Chinese text in the version block needs the code page pragma.
    let _ = writeln!(rc, "#pragma code_page(65001)");
    let _ = writeln!(
        rc,
        "1 ICON \"{}\"",
        icon.display().to_string().replace('\\', "/")
    );
    let _ = writeln!(rc, "1 VERSIONINFO");
    let _ = writeln!(rc, "FILEVERSION {comma}");
    let _ = writeln!(rc, "PRODUCTVERSION {comma}");
    let _ = writeln!(rc, "FILEOS 0x40004");
    let _ = writeln!(rc, "FILETYPE 0x1");
    let _ = writeln!(rc, "BEGIN");
    let _ = writeln!(rc, "  BLOCK \"StringFileInfo\"");
    let _ = writeln!(rc, "  BEGIN");
    // 0804 = zh-CN, 04B0 = Unicode.
    let _ = writeln!(rc, "    BLOCK \"080404B0\"");
    let _ = writeln!(rc, "    BEGIN");
    for (k, v) in [
        ("CompanyName", "Lamppost"),
        ("FileDescription", description),
        ("FileVersion", version.as_str()),
        ("InternalName", "lamppost"),
        ("LegalCopyright", "MIT OR Apache-2.0"),
        ("OriginalFilename", "lamppost.exe"),
        ("ProductName", "Lamppost 灯杆报警定位"),
        ("ProductVersion", version.as_str()),
    ] {
        let _ = writeln!(rc, "      VALUE \"{k}\", \"{v}\"");
    }
    let _ = writeln!(rc, "    END");
    let _ = writeln!(rc, "  END");
    let _ = writeln!(rc, "  BLOCK \"VarFileInfo\"");
    let _ = writeln!(rc, "  BEGIN");
    let _ = writeln!(rc, "    VALUE \"Translation\", 0x0804, 1200");
    let _ = writeln!(rc, "  END");
    let _ = writeln!(rc, "END");

    let rc_path = out.join("lamppost.rc");
    std::fs::write(&rc_path, rc)?;
    let obj = out.join("lamppost-resources.o");
    let windres = env::var("WINDRES").unwrap_or_else(|_| {
        if cfg!(windows) {
            "windres".to_owned()
        } else {
            "x86_64-w64-mingw32-windres".to_owned()
        }
    });
    let status = Command::new(&windres)
        .arg("--input-format=rc")
        .arg("--output-format=coff")
        .arg("-c")
        .arg("65001")
        .arg("-i")
        .arg(&rc_path)
        .arg("-o")
        .arg(&obj)
        .status()
        .map_err(|e| format!("cannot run {windres}: {e}"))?;
    if !status.success() {
        return Err(format!("{windres} failed: {status}").into());
    }
    println!("cargo:rustc-link-arg-bins={}", obj.display());
    Ok(())
}
