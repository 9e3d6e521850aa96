// A small WASI preview 1 host for the browser, enough for lam-translate:
// arguments, environment, clocks, random bytes, standard output and error
// handed to callbacks, no standard input, and an in-memory file system of
// preopened directories. Calls it lacks answer ENOSYS.

const E = { SUCCESS: 0, BADF: 8, EXIST: 20, INVAL: 28, ISDIR: 31, NOENT: 44, NOSYS: 52, NOTDIR: 54 };
const FILETYPE = { CHAR: 2, DIR: 3, FILE: 4 };
const enc = new TextEncoder();
const dec = new TextDecoder();

/// A directory node of the in-memory file system.
export function dir() {
  return { kind: "dir", entries: new Map() };
}

/// Puts `bytes` at `path` (a/b/c) under directory `root`, making the
/// directories on the way.
export function putFile(root, path, bytes) {
  const parts = path.split("/").filter(Boolean);
  let d = root;
  for (const p of parts.slice(0, -1)) {
    if (!d.entries.has(p)) d.entries.set(p, dir());
    d = d.entries.get(p);
  }
  d.entries.set(parts[parts.length - 1], { kind: "file", data: bytes });
}

/// The end of a run: `proc_exit` unwinds the module with it.
class Exit {
  constructor(code) {
    this.code = code;
  }
}

/// Runs the instance's `_start` once. `preopens`: { "/name": dirNode }.
/// Resolves to the exit code.
export async function runWasi(module, { args, env = {}, preopens, stdout, stderr }) {
  let memory;
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const str = (ptr, len) => dec.decode(bytes().subarray(ptr, ptr + len));
  const fds = new Map();
  fds.set(0, { kind: "stdin" });
  fds.set(1, { kind: "out", write: stdout });
  fds.set(2, { kind: "out", write: stderr });
  let next = 3;
  for (const [name, node] of Object.entries(preopens)) {
    fds.set(next++, { kind: "node", node, preopen: name, parent: null, pos: 0 });
  }
  const argv = args.map((a) => enc.encode(a + "\0"));
  const envv = Object.entries(env).map(([k, v]) => enc.encode(`${k}=${v}\0`));
  const putStrings = (list, ptrs, buf) => {
    const v = view();
    for (const s of list) {
      v.setUint32(ptrs, buf, true);
      bytes().set(s, buf);
      ptrs += 4;
      buf += s.length;
    }
    return E.SUCCESS;
  };
  const sizes = (list, countPtr, sizePtr) => {
    view().setUint32(countPtr, list.length, true);
    view().setUint32(sizePtr, list.reduce((n, s) => n + s.length, 0), true);
    return E.SUCCESS;
  };
  const now = (id) =>
    id === 0 ? BigInt(Date.now()) * 1000000n : BigInt(Math.round(performance.now() * 1e6));
  const filestat = (ptr, node) => {
    const v = view();
    for (let i = 0; i < 64; i += 8) v.setBigUint64(ptr + i, 0n, true);
    v.setUint8(ptr + 16, node.kind === "dir" ? FILETYPE.DIR : FILETYPE.FILE);
    v.setBigUint64(ptr + 24, 1n, true);
    v.setBigUint64(ptr + 32, BigInt(node.kind === "dir" ? 0 : node.data.length), true);
  };
  // The node at `path` from the open directory `fd`, and its parent.
  const resolve = (fd, path) => {
    const base = fds.get(fd);
    if (!base || base.kind !== "node" || base.node.kind !== "dir") return { err: E.BADF };
    const stack = [base.node];
    for (const p of path.split("/")) {
      if (p === "" || p === ".") continue;
      if (p === "..") {
        if (stack.length === 1) return { err: E.NOENT };
        stack.pop();
        continue;
      }
      const d = stack[stack.length - 1];
      if (d.kind !== "dir") return { err: E.NOTDIR };
      const n = d.entries.get(p);
      if (!n) return { err: E.NOENT, parent: d, name: p, last: true };
      stack.push(n);
    }
    return { node: stack[stack.length - 1] };
  };
  const wasi = {
    args_get: (ptrs, buf) => putStrings(argv, ptrs, buf),
    args_sizes_get: (c, s) => sizes(argv, c, s),
    environ_get: (ptrs, buf) => putStrings(envv, ptrs, buf),
    environ_sizes_get: (c, s) => sizes(envv, c, s),
    clock_res_get: (_id, out) => (view().setBigUint64(out, 1000n, true), E.SUCCESS),
    clock_time_get: (id, _precision, out) => (view().setBigUint64(out, now(id), true), E.SUCCESS),
    random_get: (buf, len) => {
      for (let i = 0; i < len; i += 65536) {
        crypto.getRandomValues(bytes().subarray(buf + i, buf + Math.min(len, i + 65536)));
      }
      return E.SUCCESS;
    },
    sched_yield: () => E.SUCCESS,
    proc_exit: (code) => {
      throw new Exit(code);
    },
    // Timers: the page has no way to sleep, so it waits for the clock.
    poll_oneoff: (inPtr, outPtr, n, countPtr) => {
      const v = view();
      let until = null;
      for (let i = 0; i < n; i++) {
        const s = inPtr + i * 48;
        if (v.getUint8(s + 8) !== 0) continue;
        const id = v.getUint32(s + 16, true);
        let t = v.getBigUint64(s + 24, true);
        if ((v.getUint16(s + 40, true) & 1) === 0) t += now(id);
        else if (id === 0) t = t - now(0) + now(1);
        until = until === null || t < until ? t : until;
      }
      if (until !== null) while (now(1) < until);
      let events = 0;
      for (let i = 0; i < n; i++) {
        const s = inPtr + i * 48;
        const e = outPtr + events * 32;
        v.setBigUint64(e, v.getBigUint64(s, true), true);
        v.setUint16(e + 8, 0, true);
        v.setUint8(e + 10, v.getUint8(s + 8));
        events++;
      }
      v.setUint32(countPtr, events, true);
      return E.SUCCESS;
    },
    fd_prestat_get: (fd, out) => {
      const f = fds.get(fd);
      if (!f || !f.preopen) return E.BADF;
      view().setUint8(out, 0);
      view().setUint32(out + 4, enc.encode(f.preopen).length, true);
      return E.SUCCESS;
    },
    fd_prestat_dir_name: (fd, buf, len) => {
      const f = fds.get(fd);
      if (!f || !f.preopen) return E.BADF;
      bytes().set(enc.encode(f.preopen).subarray(0, len), buf);
      return E.SUCCESS;
    },
    fd_fdstat_get: (fd, out) => {
      const f = fds.get(fd);
      if (!f) return E.BADF;
      const v = view();
      const type = f.kind === "node" ? (f.node.kind === "dir" ? FILETYPE.DIR : FILETYPE.FILE) : FILETYPE.CHAR;
      v.setUint8(out, type);
      v.setUint16(out + 2, 0, true);
      v.setBigUint64(out + 8, 0xffffffffn, true);
      v.setBigUint64(out + 16, 0xffffffffn, true);
      return E.SUCCESS;
    },
    fd_fdstat_set_flags: () => E.SUCCESS,
    fd_filestat_get: (fd, out) => {
      const f = fds.get(fd);
      if (!f) return E.BADF;
      if (f.kind !== "node") {
        for (let i = 0; i < 64; i += 8) view().setBigUint64(out + i, 0n, true);
        view().setUint8(out + 16, FILETYPE.CHAR);
        return E.SUCCESS;
      }
      filestat(out, f.node);
      return E.SUCCESS;
    },
    path_filestat_get: (fd, _flags, ptr, len, out) => {
      const r = resolve(fd, str(ptr, len));
      if (r.err) return r.err;
      filestat(out, r.node);
      return E.SUCCESS;
    },
    path_open: (fd, _dirflags, ptr, len, oflags, _rb, _ri, _fdflags, out) => {
      let r = resolve(fd, str(ptr, len));
      if (r.err === E.NOENT && r.last && oflags & 1) {
        r.parent.entries.set(r.name, { kind: "file", data: new Uint8Array(0) });
        r = { node: r.parent.entries.get(r.name) };
      } else if (r.err) {
        return r.err;
      } else if (oflags & 4 && oflags & 1) {
        return E.EXIST;
      }
      if (oflags & 2 && r.node.kind !== "dir") return E.NOTDIR;
      if (oflags & 8 && r.node.kind === "file") r.node.data = new Uint8Array(0);
      const id = next++;
      fds.set(id, { kind: "node", node: r.node, pos: 0 });
      view().setUint32(out, id, true);
      return E.SUCCESS;
    },
    fd_close: (fd) => (fds.delete(fd) ? E.SUCCESS : E.BADF),
    fd_read: (fd, iovs, n, out) => {
      const f = fds.get(fd);
      if (!f) return E.BADF;
      let total = 0;
      if (f.kind === "node") {
        if (f.node.kind === "dir") return E.ISDIR;
        const v = view();
        for (let i = 0; i < n; i++) {
          const buf = v.getUint32(iovs + i * 8, true);
          const len = v.getUint32(iovs + i * 8 + 4, true);
          const chunk = f.node.data.subarray(f.pos, f.pos + len);
          bytes().set(chunk, buf);
          f.pos += chunk.length;
          total += chunk.length;
        }
      }
      view().setUint32(out, total, true);
      return E.SUCCESS;
    },
    fd_write: (fd, iovs, n, out) => {
      const f = fds.get(fd);
      if (!f) return E.BADF;
      const v = view();
      let total = 0;
      for (let i = 0; i < n; i++) {
        const buf = v.getUint32(iovs + i * 8, true);
        const len = v.getUint32(iovs + i * 8 + 4, true);
        const chunk = bytes().slice(buf, buf + len);
        if (f.kind === "out") f.write(chunk);
        else if (f.kind === "node" && f.node.kind === "file") {
          const d = f.node.data;
          const grown = new Uint8Array(Math.max(d.length, f.pos + len));
          grown.set(d);
          grown.set(chunk, f.pos);
          f.node.data = grown;
          f.pos += len;
        } else return E.BADF;
        total += len;
      }
      view().setUint32(out, total, true);
      return E.SUCCESS;
    },
    fd_seek: (fd, offset, whence, out) => {
      const f = fds.get(fd);
      if (!f || f.kind !== "node") return E.BADF;
      const size = f.node.kind === "file" ? f.node.data.length : 0;
      const base = [0, f.pos, size][whence];
      if (base === undefined) return E.INVAL;
      const pos = base + Number(offset);
      if (pos < 0) return E.INVAL;
      f.pos = pos;
      view().setBigUint64(out, BigInt(pos), true);
      return E.SUCCESS;
    },
    fd_tell: (fd, out) => {
      const f = fds.get(fd);
      if (!f || f.kind !== "node") return E.BADF;
      view().setBigUint64(out, BigInt(f.pos), true);
      return E.SUCCESS;
    },
    // Entries from `cookie` on, each a 24-byte header and its name, cut
    // where the buffer ends (the caller asks again from there).
    fd_readdir: (fd, buf, len, cookie, out) => {
      const f = fds.get(fd);
      if (!f || f.kind !== "node" || f.node.kind !== "dir") return E.BADF;
      const names = [".", "..", ...f.node.entries.keys()];
      const v = view();
      let used = 0;
      for (let i = Number(cookie); i < names.length && used < len; i++) {
        const name = enc.encode(names[i]);
        const node = f.node.entries.get(names[i]);
        const head = new DataView(new ArrayBuffer(24));
        head.setBigUint64(0, BigInt(i + 1), true);
        head.setBigUint64(8, BigInt(i + 1), true);
        head.setUint32(16, name.length, true);
        head.setUint8(20, !node || node.kind === "dir" ? FILETYPE.DIR : FILETYPE.FILE);
        const entry = new Uint8Array(24 + name.length);
        entry.set(new Uint8Array(head.buffer), 0);
        entry.set(name, 24);
        const take = Math.min(entry.length, len - used);
        bytes().set(entry.subarray(0, take), buf + used);
        used += take;
      }
      v.setUint32(out, used, true);
      return E.SUCCESS;
    },
  };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = wasi[imp.name] ?? (() => E.NOSYS);
  }
  // Asynchronously: browsers refuse to instantiate a large module at once.
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory;
  try {
    instance.exports._start();
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    throw e;
  }
}

/// The files of a bundle's `lam-bundle` section (`src/bundle.rs`): the
/// program's module name and a map of path to bytes.
export function unpack(section) {
  const b = new Uint8Array(section);
  const magic = enc.encode("LAMBUNDLE1\n");
  if (!magic.every((x, i) => b[i] === x)) throw new Error("not a LAM bundle");
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const files = new Map();
  let entry = null;
  for (let at = magic.length; at < b.length; ) {
    const n = v.getUint32(at, true);
    const name = dec.decode(b.subarray(at + 4, at + 4 + n));
    at += 4 + n;
    const size = v.getUint32(at, true);
    const data = b.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    if (name === "entry") entry = dec.decode(data);
    else files.set(name, data);
  }
  return { entry, files };
}
