#!/usr/bin/env python3
"""Turn the web visualizer into C data for the library (src/assets/assets.h).

The served file set is:
  web/src/**                          -> /<relative path>
  the schema's descriptor set         -> /js/schema.js (gen_schema.py: what js/codec.js decodes with)
  proto/peerscope.proto               -> /peerscope.proto (for third-party clients)

  embed.py --out FILE.c   write the C table (rewritten only when it changes,
                          so an always-run build step does not relink)
  embed.py --stage DIR    write the same bytes as files under DIR plus
                          DIR/manifest.json (path, MIME type, ETag), so that
                          the browser tests serve exactly what the library embeds

--descriptor-set is the FileDescriptorSet of --proto (the build passes the
one proto/meson.build makes); without it, protoc-c (or protoc) on PATH makes
one. Needs Python's google.protobuf (Debian: python3-protobuf).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import gen_schema  # noqa: E402  (next to this file)

MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".proto": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}

SCHEMA_PATH = "/js/schema.js"
MARKER = "/* @ASSET_DATA@ */"


def mime_of(path):
    ext = os.path.splitext(path)[1].lower()
    if ext not in MIME:
        raise SystemExit(f"embed.py: no MIME type for {path!r}; add its extension to MIME")
    return MIME[ext]


def make_descriptor_set(proto_path, out_path):
    protoc = shutil.which("protoc-c") or shutil.which("protoc")
    if not protoc:
        raise SystemExit("embed.py: no --descriptor-set given and neither protoc-c nor protoc is on PATH")
    subprocess.run([protoc, f"--proto_path={os.path.dirname(proto_path)}", f"--descriptor_set_out={out_path}",
                    os.path.basename(proto_path)], check=True)


def schema_module(proto_path, desc_path):
    if desc_path:
        return gen_schema.render_file(desc_path)
    with tempfile.TemporaryDirectory() as tmp:
        desc = os.path.join(tmp, "schema.desc")
        make_descriptor_set(proto_path, desc)
        return gen_schema.render_file(desc)


def collect(web_dir, proto_path, desc_path):
    """[(url_path, bytes, mime)] sorted by url_path."""
    files = []
    src = os.path.join(web_dir, "src")
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            with open(full, "rb") as f:
                files.append(("/" + rel, f.read(), mime_of(name)))
    if SCHEMA_PATH in {p for p, _, _ in files}:
        raise SystemExit(f"embed.py: web/src{SCHEMA_PATH} would hide the generated schema; remove it")
    files.append((SCHEMA_PATH, schema_module(proto_path, desc_path).encode("utf-8"), MIME[".js"]))
    with open(proto_path, "rb") as f:
        files.append(("/peerscope.proto", f.read(), MIME[".proto"]))

    for path, _, _ in files:
        # bsearch in C compares with strcmp: keep to ASCII so that Python's
        # ordering is the same, and to what a URL path can carry verbatim.
        if not path.isascii() or any(c in path for c in '"\\?#% ') or "//" in path:
            raise SystemExit(f"embed.py: unusable asset path {path!r}")
    files.sort(key=lambda f: f[0])
    if "/index.html" not in {p for p, _, _ in files}:
        raise SystemExit("embed.py: web/src/index.html is missing")
    return files


def etag(data):
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_c(files, template):
    data = []
    for i, (path, blob, _) in enumerate(files):
        data.append(f"/* {path} */")
        data.append(f"static const uint8_t psc__asset_bytes_{i}[{max(len(blob), 1)}] = {{")
        for off in range(0, len(blob), 20):
            data.append("    " + ",".join(f"0x{b:02x}" for b in blob[off:off + 20]) + ",")
        data.append("};")
    data.append("")
    data.append("/* Sorted by path (strcmp order) for bsearch. */")
    data.append("static const psc__asset psc__assets[] = {")
    for i, (path, blob, mime) in enumerate(files):
        data.append(f"    {{{c_string(path)}, {c_string(mime)}, psc__asset_bytes_{i}, {len(blob)}u, "
                    f"{c_string(etag(blob))}}},")
    data.append("};")
    if template.count(MARKER) != 1:
        raise SystemExit(f"embed.py: the template must contain {MARKER} once")
    return ("/* Generated by web/embed.py from web/assets_template.c and the web assets; do not edit. */\n"
            + template.replace(MARKER, "\n".join(data)))


def write_if_changed(path, text):
    try:
        with open(path, "r", encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def stage(out_dir, files):
    for path, data, _ in files:
        dest = os.path.join(out_dir, *path.lstrip("/").split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
    manifest = {
        "files": [{"path": p, "mime": m, "etag": etag(d), "size": len(d)} for p, d, m in files],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--web-dir", default=HERE)
    ap.add_argument("--proto", default=os.path.join(ROOT, "proto", "peerscope.proto"))
    ap.add_argument("--descriptor-set", help="FileDescriptorSet of --proto (default: made with protoc-c)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", help="C file to write")
    mode.add_argument("--stage", help="directory to write the files and manifest.json into")
    args = ap.parse_args()

    files = collect(os.path.abspath(args.web_dir), os.path.abspath(args.proto), args.descriptor_set)
    if args.stage:
        stage(args.stage, files)
        return
    with open(os.path.join(args.web_dir, "assets_template.c"), encoding="utf-8") as f:
        template = f.read()
    write_if_changed(args.out, render_c(files, template))


if __name__ == "__main__":
    main()
