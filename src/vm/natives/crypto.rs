//! The NIFs of OTP's `crypto` module, over RustCrypto crates: crypto.erl
//! itself runs unchanged (its argument checks, its error conversion, its
//! `supports/0,1` lists), calling these where the BEAM calls OpenSSL.
//!
//! What is here: digests (MD4, MD5, SHA-1, SHA-2, SHA-3, BLAKE2, RIPEMD-160),
//! HMAC over each of them (one-shot and incremental), PBKDF2-HMAC, strong
//! random bytes and numbers, XOR, and AES in CTR and GCM modes. The rest of
//! OpenSSL (other ciphers, CMAC, Poly1305, public keys, engines) is not: the
//! algorithm lists leave it out, and a call raises the `notsup` error that
//! crypto.erl turns into `{notsup, {File, Line}, Description}`, as erl does
//! for an algorithm its OpenSSL lacks.
//!
//! Errors follow the NIFs' convention that crypto.erl decodes: an exception
//! `{Tag, #{c_file_name, c_file_line_num, c_function_arg_num}, Text}`, with
//! the file, line and text erl 25 reports for the same mistake, so the
//! error a program sees is erl's.
//!
//! Contexts (hash, HMAC, cipher) are resources (`resource`): references
//! naming native state. A hash context is copied by every update, as in
//! OTP 25 (the old state stays usable); HMAC and cipher contexts change in
//! place, as OpenSSL's do.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean, error};
use crate::vm::natives::bits::{binary_bytes, binary_word, to_bytes};
use crate::vm::natives::helpers::integer_of;
use crate::vm::natives::resource;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `crypto` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("crypto", "info_lib", 0, info_lib_0).nif(),
    Native::heap("crypto", "info_nif", 0, info_nif_0).nif(),
    Native::heap("crypto", "info_fips", 0, info_fips_0).nif(),
    Native::heap("crypto", "hash_algorithms", 0, hash_algorithms_0).nif(),
    Native::heap("crypto", "pubkey_algorithms", 0, empty_0).nif(),
    Native::heap("crypto", "cipher_algorithms", 0, cipher_algorithms_0).nif(),
    Native::heap("crypto", "mac_algorithms", 0, mac_algorithms_0).nif(),
    Native::heap("crypto", "curve_algorithms", 0, empty_0).nif(),
    Native::heap("crypto", "rsa_opts_algorithms", 0, empty_0).nif(),
    Native::heap("crypto", "hash_info", 1, hash_info_1).nif(),
    Native::heap("crypto", "hash_nif", 2, hash_nif_2).nif(),
    Native::heap("crypto", "hash_init_nif", 1, hash_init_nif_1).nif(),
    Native::heap("crypto", "hash_update_nif", 2, hash_update_nif_2).nif(),
    Native::heap("crypto", "hash_final_nif", 1, hash_final_nif_1).nif(),
    Native::heap("crypto", "mac_nif", 4, mac_nif_4).nif(),
    Native::heap("crypto", "mac_init_nif", 3, mac_init_nif_3).nif(),
    Native::heap("crypto", "mac_update_nif", 2, mac_update_nif_2).nif(),
    Native::heap("crypto", "mac_final_nif", 1, mac_final_nif_1).nif(),
    Native::heap("crypto", "pbkdf2_hmac_nif", 5, pbkdf2_hmac_nif_5).nif(),
    Native::heap(
        "crypto",
        "strong_rand_bytes_nif",
        1,
        strong_rand_bytes_nif_1,
    )
    .nif(),
    Native::heap(
        "crypto",
        "strong_rand_range_nif",
        1,
        strong_rand_range_nif_1,
    )
    .nif(),
    Native::heap("crypto", "rand_uniform_nif", 2, rand_uniform_nif_2).nif(),
    Native::heap("crypto", "rand_seed_nif", 1, rand_seed_nif_1).nif(),
    Native::heap("crypto", "do_exor", 2, do_exor_2).nif(),
    Native::heap("crypto", "hash_equals_nif", 2, hash_equals_nif_2).nif(),
    Native::heap("crypto", "mod_exp_nif", 4, mod_exp_nif_4).nif(),
    Native::heap("crypto", "cipher_info_nif", 1, cipher_info_nif_1).nif(),
    Native::heap(
        "crypto",
        "ng_crypto_one_time_nif",
        5,
        ng_crypto_one_time_nif_5,
    )
    .nif(),
    Native::heap("crypto", "ng_crypto_init_nif", 4, ng_crypto_init_nif_4).nif(),
    Native::heap("crypto", "ng_crypto_update_nif", 2, ng_crypto_update_nif_2).nif(),
    Native::heap("crypto", "ng_crypto_update_nif", 3, ng_crypto_update_nif_3).nif(),
    Native::heap("crypto", "ng_crypto_final_nif", 1, ng_crypto_final_nif_1).nif(),
    Native::heap(
        "crypto",
        "ng_crypto_get_data_nif",
        1,
        ng_crypto_get_data_nif_1,
    )
    .nif(),
    Native::heap("crypto", "aead_cipher_nif", 7, aead_cipher_nif_7).nif(),
    Native::heap("crypto", "enable_fips_mode_nif", 1, enable_fips_mode_nif_1).nif(),
    // Public keys, SRP and engines: not implemented.
    Native::heap("crypto", "pkey_sign_nif", 5, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "pkey_verify_nif", 6, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "pkey_crypt_nif", 6, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "evp_generate_key_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "evp_compute_key_nif", 3, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "srp_host_secret_nif", 5, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "srp_user_secret_nif", 7, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "srp_value_B_nif", 5, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "rsa_generate_key_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "dh_generate_key_nif", 4, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "dh_compute_key_nif", 3, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "ec_generate_key_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "ecdh_compute_key_nif", 3, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "privkey_to_pubkey_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_by_id_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_init_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_free_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_load_dynamic_nif", 0, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_ctrl_cmd_strings_nif", 3, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_add_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_remove_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_register_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_unregister_nif", 2, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_get_first_nif", 0, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_get_next_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_get_id_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_get_name_nif", 1, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "engine_get_all_methods_nif", 0, unsupported)
        .nif()
        .notsup(),
    Native::heap("crypto", "ensure_engine_loaded_nif", 2, unsupported)
        .nif()
        .notsup(),
];

// ------------------------------------------------------------- errors

/// Raises what a crypto NIF raises: `{Tag, #{c_file_name => File,
/// c_file_line_num => Line, c_function_arg_num => Arg}, Text}` (Arg
/// counted from 0), which crypto.erl rewrites for its caller.
fn raise(c: &mut Ctx, tag: &str, file: &str, line: i64, arg: i64, text: &str) -> NativeResult {
    let info = Term::Map(vec![
        (Term::atom("c_file_name"), Term::string(file)),
        (Term::atom("c_file_line_num"), Term::Int(line)),
        (Term::atom("c_function_arg_num"), Term::Int(arg)),
    ]);
    let t = Term::tuple(vec![Term::atom(tag), info, Term::string(text)]);
    let w = c.from_term(&t);
    error(w)
}

fn atom(c: &Ctx, name: &str) -> Word {
    Word::atom(c.atoms.intern(name))
}

fn atom_name(c: &Ctx, w: Word) -> Option<std::sync::Arc<str>> {
    w.as_atom().map(|a| c.atoms.name(a))
}

/// What LAM does not implement raises `notsup`, as erl does for what its
/// OpenSSL lacks.
fn unsupported(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    raise(c, "notsup", "lam", 0, -1, "Not supported by LAM's crypto")
}

/// FIPS mode cannot be entered: `false`, as erl built without FIPS says.
fn enable_fips_mode_nif_1(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::boolean(false))
}

// ------------------------------------------------------------- digests

/// A digest algorithm.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Algo {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b,
    Blake2s,
    Ripemd160,
}

/// Every digest, in the order erl 25's `crypto:supports(hashs)` lists them.
const ALGOS: &[(&str, Algo)] = &[
    ("blake2s", Algo::Blake2s),
    ("blake2b", Algo::Blake2b),
    ("sha3_512", Algo::Sha3_512),
    ("sha3_384", Algo::Sha3_384),
    ("sha3_256", Algo::Sha3_256),
    ("sha3_224", Algo::Sha3_224),
    ("sha512", Algo::Sha512),
    ("sha384", Algo::Sha384),
    ("sha256", Algo::Sha256),
    ("sha224", Algo::Sha224),
    ("sha", Algo::Sha1),
    ("ripemd160", Algo::Ripemd160),
    ("md5", Algo::Md5),
    ("md4", Algo::Md4),
];

impl Algo {
    fn of(name: &str) -> Option<Algo> {
        ALGOS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// OpenSSL's NID, its digest size and its block size (what
    /// `hash_info/1` reports; HMAC pads keys to the block size).
    fn info(self) -> (i64, usize, usize) {
        match self {
            Algo::Md4 => (257, 16, 64),
            Algo::Md5 => (4, 16, 64),
            Algo::Sha1 => (64, 20, 64),
            Algo::Sha224 => (675, 28, 64),
            Algo::Sha256 => (672, 32, 64),
            Algo::Sha384 => (673, 48, 128),
            Algo::Sha512 => (674, 64, 128),
            Algo::Sha3_224 => (1096, 28, 144),
            Algo::Sha3_256 => (1097, 32, 136),
            Algo::Sha3_384 => (1098, 48, 104),
            Algo::Sha3_512 => (1099, 64, 72),
            Algo::Blake2b => (1056, 64, 128),
            Algo::Blake2s => (1057, 32, 64),
            Algo::Ripemd160 => (117, 20, 64),
        }
    }

    fn block_size(self) -> usize {
        self.info().2
    }
}

/// A digest's running state.
#[derive(Clone)]
enum Hasher {
    Md4(md4::Md4),
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha3_224(sha3::Sha3_224),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
    Blake2b(blake2::Blake2b512),
    Blake2s(blake2::Blake2s256),
    Ripemd160(ripemd::Ripemd160),
}

macro_rules! each_hasher {
    ($h:expr, $x:ident => $e:expr) => {
        match $h {
            Hasher::Md4($x) => $e,
            Hasher::Md5($x) => $e,
            Hasher::Sha1($x) => $e,
            Hasher::Sha224($x) => $e,
            Hasher::Sha256($x) => $e,
            Hasher::Sha384($x) => $e,
            Hasher::Sha512($x) => $e,
            Hasher::Sha3_224($x) => $e,
            Hasher::Sha3_256($x) => $e,
            Hasher::Sha3_384($x) => $e,
            Hasher::Sha3_512($x) => $e,
            Hasher::Blake2b($x) => $e,
            Hasher::Blake2s($x) => $e,
            Hasher::Ripemd160($x) => $e,
        }
    };
}

impl Hasher {
    fn new(a: Algo) -> Hasher {
        use sha2::Digest;
        match a {
            Algo::Md4 => Hasher::Md4(md4::Md4::new()),
            Algo::Md5 => Hasher::Md5(md5::Md5::new()),
            Algo::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Algo::Sha224 => Hasher::Sha224(sha2::Sha224::new()),
            Algo::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algo::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algo::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            Algo::Sha3_224 => Hasher::Sha3_224(sha3::Sha3_224::new()),
            Algo::Sha3_256 => Hasher::Sha3_256(sha3::Sha3_256::new()),
            Algo::Sha3_384 => Hasher::Sha3_384(sha3::Sha3_384::new()),
            Algo::Sha3_512 => Hasher::Sha3_512(sha3::Sha3_512::new()),
            Algo::Blake2b => Hasher::Blake2b(blake2::Blake2b512::new()),
            Algo::Blake2s => Hasher::Blake2s(blake2::Blake2s256::new()),
            Algo::Ripemd160 => Hasher::Ripemd160(ripemd::Ripemd160::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        each_hasher!(self, h => h.update(data))
    }

    fn finish(self) -> Vec<u8> {
        use sha2::Digest;
        each_hasher!(self, h => h.finalize().to_vec())
    }

    fn digest(a: Algo, data: &[u8]) -> Vec<u8> {
        let mut h = Hasher::new(a);
        h.update(data);
        h.finish()
    }
}

/// The state behind a `hash_init/1` reference.
struct HashCtx(Hasher);

fn hash_info_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(algo) = atom_name(c, a[0]).and_then(|n| Algo::of(&n)) else {
        return badarg();
    };
    let (nid, size, block) = algo.info();
    let t = Term::Map(vec![
        (Term::atom("type"), Term::Int(nid)),
        (Term::atom("size"), Term::Int(size as i64)),
        (Term::atom("block_size"), Term::Int(block as i64)),
    ]);
    Value(c.from_term(&t))
}

fn hash_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(algo) = atom_name(c, a[0]).and_then(|n| Algo::of(&n)) else {
        return raise(c, "badarg", "hash.c", 108, 0, "Bad digest type");
    };
    let Some(data) = to_bytes(c, a[1]) else {
        return raise(c, "badarg", "hash.c", 110, 1, "Not iolist");
    };
    let out = Hasher::digest(algo, &data);
    Value(binary_word(c, &out))
}

fn hash_init_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(algo) = atom_name(c, a[0]).and_then(|n| Algo::of(&n)) else {
        return raise(c, "badarg", "hash.c", 142, 0, "Bad digest type");
    };
    Value(resource::make(c, Box::new(HashCtx(Hasher::new(algo)))))
}

/// A copy of the digest state a hash context names.
fn hash_state(c: &Ctx, w: Word) -> Option<Hasher> {
    let (_, slot) = resource::get(c, w)?;
    let s = resource::lock(&slot);
    s.downcast_ref::<HashCtx>().map(|h| h.0.clone())
}

fn hash_update_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(mut h) = hash_state(c, a[0]) else {
        return raise(c, "badarg", "hash.c", 171, 0, "Bad state");
    };
    let Some(data) = to_bytes(c, a[1]) else {
        return raise(c, "badarg", "hash.c", 174, 1, "Not iolist");
    };
    h.update(&data);
    Value(resource::make(c, Box::new(HashCtx(h))))
}

fn hash_final_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(h) = hash_state(c, a[0]) else {
        return raise(c, "badarg", "hash.c", 205, 0, "Bad state");
    };
    let out = h.finish();
    Value(binary_word(c, &out))
}

// ------------------------------------------------------------- HMAC

/// HMAC (RFC 2104) over any of the digests: the inner digest running, and
/// the key block for the outer one.
#[derive(Clone)]
struct Hmac {
    algo: Algo,
    inner: Hasher,
    outer_key: Vec<u8>,
}

impl Hmac {
    fn new(algo: Algo, key: &[u8]) -> Hmac {
        let block = algo.block_size();
        let mut k = if key.len() > block {
            Hasher::digest(algo, key)
        } else {
            key.to_vec()
        };
        k.resize(block, 0);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = Hasher::new(algo);
        inner.update(&ipad);
        Hmac {
            algo,
            inner,
            outer_key: opad,
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    fn finish(&self) -> Vec<u8> {
        let inner = self.inner.clone().finish();
        let mut outer = Hasher::new(self.algo);
        outer.update(&self.outer_key);
        outer.update(&inner);
        outer.finish()
    }
}

/// The state behind a `mac_init/3` reference.
struct MacCtx(Hmac);

/// The HMAC digest a `mac` call names, or the error erl raises: `Type` is
/// argument 0 and `SubType` argument 1 of the NIF; `lines` are the lines
/// erl reports for an unknown MAC, an unsupported one, and a bad digest.
fn mac_algo(c: &mut Ctx, a: &[Word], lines: [i64; 3]) -> Result<Algo, NativeResult> {
    let ty = atom_name(c, a[0]);
    match ty.as_deref() {
        Some("hmac") => {}
        Some("cmac" | "poly1305") => {
            return Err(raise(
                c,
                "notsup",
                "mac.c",
                lines[1],
                0,
                "Unsupported mac algorithm",
            ));
        }
        _ => {
            return Err(raise(
                c,
                "badarg",
                "mac.c",
                lines[0],
                0,
                "Unknown mac algorithm",
            ));
        }
    }
    match atom_name(c, a[1]).and_then(|n| Algo::of(&n)) {
        Some(algo) => Ok(algo),
        None => Err(raise(
            c,
            "badarg",
            "mac.c",
            lines[2],
            1,
            "Bad digest algorithm for HMAC",
        )),
    }
}

fn mac_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let algo = match mac_algo(c, a, [233, 233, 263]) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(key) = to_bytes(c, a[2]) else {
        return raise(c, "badarg", "mac.c", 229, 2, "Bad key");
    };
    let Some(data) = to_bytes(c, a[3]) else {
        return raise(c, "badarg", "mac.c", 231, 3, "Bad text");
    };
    let mut m = Hmac::new(algo, &key);
    m.update(&data);
    let out = m.finish();
    Value(binary_word(c, &out))
}

fn mac_init_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let algo = match mac_algo(c, a, [590, 590, 617]) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(key) = to_bytes(c, a[2]) else {
        return raise(c, "badarg", "mac.c", 586, 2, "Bad key");
    };
    Value(resource::make(c, Box::new(MacCtx(Hmac::new(algo, &key)))))
}

fn mac_update_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let slot = match resource::get(c, a[0]) {
        Some((_, s)) if resource::lock(&s).is::<MacCtx>() => s,
        _ => return raise(c, "badarg", "mac.c", 817, 0, "Bad ref"),
    };
    let Some(data) = to_bytes(c, a[1]) else {
        return raise(c, "badarg", "mac.c", 820, 1, "Bad text");
    };
    if let Some(m) = resource::lock(&slot).downcast_mut::<MacCtx>() {
        m.0.update(&data);
    }
    Value(a[0])
}

fn mac_final_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let out = resource::get(c, a[0]).and_then(|(_, s)| {
        resource::lock(&s)
            .downcast_ref::<MacCtx>()
            .map(|m| m.0.finish())
    });
    match out {
        Some(out) => Value(binary_word(c, &out)),
        None => raise(c, "badarg", "mac.c", 847, 0, "Bad ref"),
    }
}

// ------------------------------------------------------------- PBKDF2

/// A non-negative integer argument that fits a `usize`.
fn count_of(c: &Ctx, w: Word) -> Option<usize> {
    let n = integer_of(c, w)?;
    usize::try_from(&n).ok()
}

fn pbkdf2_hmac_nif_5(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(algo) = atom_name(c, a[0]).and_then(|n| Algo::of(&n)) else {
        return raise(c, "badarg", "pbkdf2_hmac.c", 34, 0, "Bad digest type");
    };
    // OpenSSL's PBKDF2 takes the SHA-1 and SHA-2 digests only.
    let eligible = [
        Algo::Sha1,
        Algo::Sha224,
        Algo::Sha256,
        Algo::Sha384,
        Algo::Sha512,
    ];
    if !eligible.contains(&algo) {
        return raise(
            c,
            "badarg",
            "pbkdf2_hmac.c",
            38,
            0,
            "Not eligible digest type",
        );
    }
    let Some(pass) = binary_bytes(c, a[1]) else {
        return raise(c, "badarg", "pbkdf2_hmac.c", 41, 1, "Not binary");
    };
    let Some(salt) = binary_bytes(c, a[2]) else {
        return raise(c, "badarg", "pbkdf2_hmac.c", 44, 2, "Not binary");
    };
    let Some(iter) = a[3]
        .as_small()
        .filter(|i| (0..=u32::MAX as i64).contains(i))
    else {
        return raise(c, "badarg", "pbkdf2_hmac.c", 47, 3, "Not integer");
    };
    if iter == 0 {
        return raise(c, "badarg", "pbkdf2_hmac.c", 49, 3, "Must be > 0");
    }
    let Some(len) = count_of(c, a[4]).filter(|n| *n <= u32::MAX as usize) else {
        return raise(c, "badarg", "pbkdf2_hmac.c", 52, 4, "Not integer");
    };
    if len == 0 {
        return raise(c, "badarg", "pbkdf2_hmac.c", 54, 4, "Must be > 0");
    }
    let out = pbkdf2(algo, &pass, &salt, iter as u64, len);
    Value(binary_word(c, &out))
}

/// PBKDF2 (RFC 8018) with HMAC over `algo`.
fn pbkdf2(algo: Algo, pass: &[u8], salt: &[u8], iter: u64, len: usize) -> Vec<u8> {
    let keyed = Hmac::new(algo, pass);
    let mut out = Vec::with_capacity(len);
    let mut block = 1u32;
    while out.len() < len {
        let mut m = keyed.clone();
        m.update(salt);
        m.update(&block.to_be_bytes());
        let mut u = m.finish();
        let mut t = u.clone();
        for _ in 1..iter {
            let mut m = keyed.clone();
            m.update(&u);
            u = m.finish();
            t.iter_mut().zip(&u).for_each(|(x, y)| *x ^= y);
        }
        let take = (len - out.len()).min(t.len());
        out.extend_from_slice(&t[..take]);
        block = block.wrapping_add(1);
    }
    out
}

// ------------------------------------------------------------- random

fn random_bytes(n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).ok()?;
    Some(buf)
}

fn strong_rand_bytes_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(n) = count_of(c, a[0]).filter(|n| *n <= i32::MAX as usize) else {
        return badarg();
    };
    match random_bytes(n) {
        Some(b) => Value(binary_word(c, &b)),
        None => Value(Word::boolean(false)),
    }
}

/// A uniformly random integer in `0..range` (`range` > 0).
fn random_below(range: &BigInt) -> Option<BigInt> {
    let bits = range.bits();
    let bytes = bits.div_ceil(8) as usize;
    let top_mask = if bits.is_multiple_of(8) {
        0xff
    } else {
        (1u8 << (bits % 8)) - 1
    };
    loop {
        let mut b = random_bytes(bytes)?;
        if let Some(first) = b.first_mut() {
            *first &= top_mask;
        }
        let n = BigInt::from_bytes_be(num_bigint::Sign::Plus, &b);
        if &n < range {
            return Some(n);
        }
    }
}

/// An integer from the OpenSSL MPI format `<<Len:32, Magnitude:Len/bytes>>`.
fn mpint(c: &Ctx, w: Word) -> Option<BigInt> {
    let b = binary_bytes(c, w)?;
    let (len, rest) = b.split_at_checked(4)?;
    let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    (rest.len() == len).then(|| BigInt::from_bytes_be(num_bigint::Sign::Plus, rest))
}

fn mpint_word(c: &mut Ctx, n: &BigInt) -> Word {
    let (_, mag) = n.to_bytes_be();
    let mag = if n.is_zero() { vec![] } else { mag };
    let mut out = (mag.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&mag);
    binary_word(c, &out)
}

fn rand_uniform_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(lo), Some(hi)) = (mpint(c, a[0]), mpint(c, a[1])) else {
        return badarg();
    };
    let range = &hi - &lo;
    if !range.is_positive() {
        return badarg();
    }
    match random_below(&range) {
        Some(n) => {
            let w = mpint_word(c, &(lo + n));
            Value(w)
        }
        None => badarg(),
    }
}

fn strong_rand_range_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(b) = binary_bytes(c, a[0]) else {
        return badarg();
    };
    let range = BigInt::from_bytes_be(num_bigint::Sign::Plus, &b);
    if !range.is_positive() {
        return badarg();
    }
    match random_below(&range) {
        Some(n) => {
            let (_, mag) = n.to_bytes_be();
            Value(binary_word(c, &mag))
        }
        None => Value(Word::boolean(false)),
    }
}

/// The OS generator needs no seed: one given is accepted and unused.
fn rand_seed_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]) {
        Some(_) => Value(atom(c, "ok")),
        None => badarg(),
    }
}

// ------------------------------------------------------------- misc

fn do_exor_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(x), Some(y)) = (to_bytes(c, a[0]), to_bytes(c, a[1])) else {
        return badarg();
    };
    if x.len() != y.len() {
        return badarg();
    }
    let out: Vec<u8> = x.iter().zip(&y).map(|(p, q)| p ^ q).collect();
    Value(binary_word(c, &out))
}

fn hash_equals_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(x), Some(y)) = (binary_bytes(c, a[0]), binary_bytes(c, a[1])) else {
        return badarg();
    };
    if x.len() != y.len() {
        return badarg();
    }
    // Every byte is compared, whatever the first difference, as
    // CRYPTO_memcmp does: the time says nothing of where they differ.
    let diff = x.iter().zip(&y).fold(0u8, |acc, (p, q)| acc | (p ^ q));
    boolean(diff == 0)
}

/// `Base^Exp mod Mod` on unsigned big-endian binaries; with `BinHdr` 4 the
/// result is in MPI format. A zero modulus gives `error`, as OpenSSL fails.
fn mod_exp_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let big =
        |c: &Ctx, w| binary_bytes(c, w).map(|b| BigInt::from_bytes_be(num_bigint::Sign::Plus, &b));
    let (Some(base), Some(exp), Some(m)) = (big(c, a[0]), big(c, a[1]), big(c, a[2])) else {
        return badarg();
    };
    let hdr = a[3].as_small();
    if m.is_zero() {
        return Value(atom(c, "error"));
    }
    let r = base.modpow(&exp, &m);
    match hdr {
        // OpenSSL writes zero as no bytes.
        Some(0) if r.is_zero() => Value(binary_word(c, &[])),
        Some(0) => {
            let (_, mag) = r.to_bytes_be();
            Value(binary_word(c, &mag))
        }
        Some(4) => Value(mpint_word(c, &r)),
        _ => badarg(),
    }
}

fn info_lib_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let t = Term::list(vec![Term::tuple(vec![
        Term::Binary(b"RustCrypto".to_vec()),
        Term::Int(0),
        Term::Binary(b"RustCrypto (LAM)".to_vec()),
    ])]);
    Value(c.from_term(&t))
}

fn info_nif_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let t = Term::Map(vec![
        (Term::atom("compile_type"), Term::atom("normal")),
        (Term::atom("link_type"), Term::atom("static")),
        (
            Term::atom("cryptolib_version_compiled"),
            Term::string("RustCrypto (LAM)"),
        ),
        (
            Term::atom("cryptolib_version_linked"),
            Term::string("RustCrypto (LAM)"),
        ),
    ]);
    Value(c.from_term(&t))
}

fn info_fips_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(atom(c, "not_supported"))
}

fn atoms_list(c: &mut Ctx, names: &[&str]) -> NativeResult {
    let ws: Vec<Word> = names.iter().map(|n| atom(c, n)).collect();
    Value(list_of(c.heap, &ws))
}

fn hash_algorithms_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let names: Vec<&str> = ALGOS.iter().map(|(n, _)| *n).collect();
    atoms_list(c, &names)
}

fn mac_algorithms_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    atoms_list(c, &["hmac"])
}

fn cipher_algorithms_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let names: Vec<&str> = CIPHERS.iter().map(|x| x.name).collect();
    atoms_list(c, &names)
}

fn empty_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::NIL)
}

// ------------------------------------------------------------- ciphers

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ctr,
    Gcm,
    Cbc,
    Ecb,
    Cfb128,
}

struct Cipher {
    name: &'static str,
    key: usize,
    mode: Mode,
}

/// The ciphers, in the order erl 25's `crypto:supports(ciphers)` has them.
const CIPHERS: &[Cipher] = &[
    Cipher {
        name: "aes_256_gcm",
        key: 32,
        mode: Mode::Gcm,
    },
    Cipher {
        name: "aes_192_gcm",
        key: 24,
        mode: Mode::Gcm,
    },
    Cipher {
        name: "aes_128_gcm",
        key: 16,
        mode: Mode::Gcm,
    },
    Cipher {
        name: "aes_256_ctr",
        key: 32,
        mode: Mode::Ctr,
    },
    Cipher {
        name: "aes_192_ctr",
        key: 24,
        mode: Mode::Ctr,
    },
    Cipher {
        name: "aes_128_ctr",
        key: 16,
        mode: Mode::Ctr,
    },
    Cipher {
        name: "aes_128_cbc",
        key: 16,
        mode: Mode::Cbc,
    },
    Cipher {
        name: "aes_192_cbc",
        key: 24,
        mode: Mode::Cbc,
    },
    Cipher {
        name: "aes_256_cbc",
        key: 32,
        mode: Mode::Cbc,
    },
    Cipher {
        name: "aes_128_ecb",
        key: 16,
        mode: Mode::Ecb,
    },
    Cipher {
        name: "aes_192_ecb",
        key: 24,
        mode: Mode::Ecb,
    },
    Cipher {
        name: "aes_256_ecb",
        key: 32,
        mode: Mode::Ecb,
    },
    Cipher {
        name: "aes_128_cfb128",
        key: 16,
        mode: Mode::Cfb128,
    },
    Cipher {
        name: "aes_192_cfb128",
        key: 24,
        mode: Mode::Cfb128,
    },
    Cipher {
        name: "aes_256_cfb128",
        key: 32,
        mode: Mode::Cfb128,
    },
];

/// The other ciphers erl 25's OpenSSL has: a call naming one raises
/// `notsup` (LAM lacks it), where an unknown name is a `badarg`.
const OTHER_CIPHERS: &[&str] = &[
    "chacha20",
    "aes_256_ofb",
    "aes_192_ofb",
    "aes_128_ofb",
    "blowfish_ecb",
    "blowfish_ofb64",
    "blowfish_cfb64",
    "blowfish_cbc",
    "des_ede3_cfb",
    "des_ecb",
    "des_cfb",
    "des_cbc",
    "rc4",
    "rc2_cbc",
    "aes_128_cfb8",
    "aes_192_cfb8",
    "aes_256_cfb8",
    "chacha20_poly1305",
    "aes_256_ccm",
    "aes_192_ccm",
    "aes_128_ccm",
    "des_ede3_cbc",
];

fn is_other_cipher(c: &Ctx, w: Word) -> bool {
    atom_name(c, w).is_some_and(|n| OTHER_CIPHERS.contains(&&*n))
}

fn cipher_of(c: &Ctx, w: Word) -> Option<&'static Cipher> {
    let n = atom_name(c, w)?;
    CIPHERS.iter().find(|x| *x.name == *n)
}

fn cipher_info_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(ci) = cipher_of(c, a[0]) else {
        // This NIF raises plain reasons, which cipher_info/1 handles.
        if is_other_cipher(c, a[0]) {
            return error(atom(c, "notsup"));
        }
        return badarg();
    };
    // OpenSSL's NIDs: 418 + 4 per key size, then 0 ECB, 1 CBC, 3 CFB128.
    let nid = |m: i64| Term::Int(418 + 4 * (ci.key as i64 / 8 - 2) + m);
    let (iv, mode, aead, ty, block) = match ci.mode {
        Mode::Cbc => (16, "cbc_mode", false, nid(1), 16),
        Mode::Ecb => (0, "ecb_mode", false, nid(0), 16),
        Mode::Cfb128 => (16, "cfb_mode", false, nid(3), 1),
        Mode::Ctr => (16, "ctr_mode", false, Term::atom("undefined"), 1),
        Mode::Gcm => (
            12,
            "gcm_mode",
            true,
            Term::Int(match ci.key {
                16 => 895,
                24 => 898,
                _ => 901,
            }),
            1,
        ),
    };
    let t = Term::Map(vec![
        (Term::atom("type"), ty),
        (Term::atom("key_length"), Term::Int(ci.key as i64)),
        (Term::atom("iv_length"), Term::Int(iv)),
        (Term::atom("block_size"), Term::Int(block)),
        (Term::atom("mode"), Term::atom(mode)),
        (
            Term::atom("prop_aead"),
            Term::atom(if aead { "true" } else { "false" }),
        ),
    ]);
    Value(c.from_term(&t))
}

/// AES in CTR mode with a 128-bit big-endian counter, as OpenSSL runs it.
enum CtrState {
    A128(ctr::Ctr128BE<aes::Aes128>),
    A192(ctr::Ctr128BE<aes::Aes192>),
    A256(ctr::Ctr128BE<aes::Aes256>),
}

impl CtrState {
    fn new(key: &[u8], iv: &[u8]) -> Option<CtrState> {
        use aes::cipher::KeyIvInit;
        Some(match key.len() {
            16 => CtrState::A128(ctr::Ctr128BE::new_from_slices(key, iv).ok()?),
            24 => CtrState::A192(ctr::Ctr128BE::new_from_slices(key, iv).ok()?),
            32 => CtrState::A256(ctr::Ctr128BE::new_from_slices(key, iv).ok()?),
            _ => return None,
        })
    }

    fn apply(&mut self, data: &mut [u8]) {
        use aes::cipher::StreamCipher;
        match self {
            CtrState::A128(s) => s.apply_keystream(data),
            CtrState::A192(s) => s.apply_keystream(data),
            CtrState::A256(s) => s.apply_keystream(data),
        }
    }
}

/// An AES key schedule, for the block modes.
enum AesKey {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl AesKey {
    fn new(key: &[u8]) -> Option<AesKey> {
        use aes::cipher::KeyInit;
        Some(match key.len() {
            16 => AesKey::A128(aes::Aes128::new_from_slice(key).ok()?),
            24 => AesKey::A192(aes::Aes192::new_from_slice(key).ok()?),
            32 => AesKey::A256(aes::Aes256::new_from_slice(key).ok()?),
            _ => return None,
        })
    }

    fn encrypt(&self, b: &mut [u8; 16]) {
        use aes::cipher::BlockCipherEncrypt;
        let block = (&mut b[..]).try_into().expect("16 bytes");
        match self {
            AesKey::A128(k) => k.encrypt_block(block),
            AesKey::A192(k) => k.encrypt_block(block),
            AesKey::A256(k) => k.encrypt_block(block),
        }
    }

    fn decrypt(&self, b: &mut [u8; 16]) {
        use aes::cipher::BlockCipherDecrypt;
        let block = (&mut b[..]).try_into().expect("16 bytes");
        match self {
            AesKey::A128(k) => k.decrypt_block(block),
            AesKey::A192(k) => k.decrypt_block(block),
            AesKey::A256(k) => k.decrypt_block(block),
        }
    }
}

/// A cipher's running state.
enum ModeState {
    Ctr(CtrState),
    /// CBC (with the previous block) or ECB: whole blocks go through; the
    /// rest waits in `buf` (and, decrypting with padding, the last whole
    /// block too, which the final call unpads), as OpenSSL's EVP layer does.
    Block {
        key: AesKey,
        chain: Option<[u8; 16]>,
        buf: Vec<u8>,
        pkcs: bool,
    },
    /// CFB with 128-bit feedback: a stream, byte by byte.
    Cfb {
        key: AesKey,
        reg: [u8; 16],
        stream: [u8; 16],
        pos: usize,
    },
}

/// The state behind a `crypto_init/3,4` reference.
struct CipherCtx {
    state: ModeState,
    encrypt: bool,
    key: Vec<u8>,
    pkcs: bool,
    /// Bytes given so far (what `crypto_get_data/1` reports).
    size: usize,
    /// Whether the final call was made.
    finished: bool,
}

impl CipherCtx {
    fn update(&mut self, data: &mut Vec<u8>) {
        self.size += data.len();
        let encrypt = self.encrypt;
        match &mut self.state {
            ModeState::Ctr(s) => s.apply(data),
            ModeState::Cfb {
                key,
                reg,
                stream,
                pos,
            } => {
                for b in data.iter_mut() {
                    if *pos == 0 {
                        *stream = *reg;
                        key.encrypt(stream);
                    }
                    let cipher_byte = if encrypt { *b ^ stream[*pos] } else { *b };
                    *b ^= stream[*pos];
                    reg[*pos] = cipher_byte;
                    *pos = (*pos + 1) % 16;
                }
            }
            ModeState::Block {
                key,
                chain,
                buf,
                pkcs,
            } => {
                buf.append(data);
                let mut whole = buf.len() / 16 * 16;
                if !encrypt && *pkcs && whole == buf.len() && whole > 0 {
                    whole -= 16;
                }
                let rest = buf.split_off(whole);
                let mut out = std::mem::replace(buf, rest);
                for block in out.chunks_mut(16) {
                    let mut b: [u8; 16] = (&*block).try_into().expect("whole blocks");
                    if encrypt {
                        if let Some(iv) = chain {
                            b.iter_mut().zip(iv.iter()).for_each(|(x, y)| *x ^= y);
                        }
                        key.encrypt(&mut b);
                        if let Some(iv) = chain {
                            *iv = b;
                        }
                    } else {
                        let input = b;
                        key.decrypt(&mut b);
                        if let Some(iv) = chain {
                            b.iter_mut().zip(iv.iter()).for_each(|(x, y)| *x ^= y);
                            *iv = input;
                        }
                    }
                    block.copy_from_slice(&b);
                }
                *data = out;
            }
        }
    }

    /// The last output, or `None` when it cannot be made (OpenSSL's "Can't
    /// finalize": bad padding, or padded input that is not whole blocks).
    fn finish(&mut self) -> Option<Vec<u8>> {
        self.finished = true;
        let encrypt = self.encrypt;
        let ModeState::Block { pkcs, buf, .. } = &mut self.state else {
            return Some(vec![]);
        };
        if !*pkcs {
            // Without padding a partial block is dropped, as erl 25 does.
            buf.clear();
            return Some(vec![]);
        }
        let mut rest = std::mem::take(buf);
        *pkcs = false;
        if encrypt {
            let n = 16 - rest.len() % 16;
            rest.extend(std::iter::repeat_n(n as u8, n));
            self.size -= rest.len();
            self.update(&mut rest);
            Some(rest)
        } else {
            if rest.len() != 16 {
                return None;
            }
            self.size -= 16;
            self.update(&mut rest);
            let n = *rest.last()? as usize;
            if n == 0 || n > 16 || !rest[16 - n..].iter().all(|b| *b as usize == n) {
                return None;
            }
            rest.truncate(16 - n);
            Some(rest)
        }
    }
}

/// The encrypt flag and padding of `crypto_init`/`crypto_one_time`: `true`,
/// `false`, or a list of options with `{encrypt, Bool}` and `{padding,
/// none | pkcs_padding}` (LAM has no other padding).
fn encrypt_flag(c: &Ctx, w: Word) -> Option<(bool, bool)> {
    if let Some(b) = w.as_atom().map(|a| c.atoms.name(a)) {
        return match &*b {
            "true" => Some((true, false)),
            "false" => Some((false, false)),
            _ => None,
        };
    }
    let v = c.view();
    let (mut enc, mut pkcs) = (true, false);
    for o in list_items(&v, w)? {
        let t = v.tuple(o)?;
        let [k, x] = t else { return None };
        let k = Word(*k).as_atom().map(|a| c.atoms.name(a))?;
        let x = Word(*x).as_atom().map(|a| c.atoms.name(a));
        match (&*k, x.as_deref()) {
            ("encrypt", Some("true")) => enc = true,
            ("encrypt", Some("false")) => enc = false,
            ("padding", Some("none" | "undefined")) => pkcs = false,
            ("padding", Some("pkcs_padding")) => pkcs = true,
            _ => return None,
        }
    }
    Some((enc, pkcs))
}

/// A new cipher context, or the error erl raises for these arguments.
fn cipher_init(c: &mut Ctx, a: &[Word]) -> Result<CipherCtx, NativeResult> {
    let ci = match cipher_of(c, a[0]) {
        Some(ci) if ci.mode != Mode::Gcm => ci,
        _ if is_other_cipher(c, a[0]) => {
            return Err(raise(
                c,
                "notsup",
                "api_ng.c",
                242,
                0,
                "Cipher not supported by LAM",
            ));
        }
        Some(_) => {
            return Err(raise(
                c,
                "badarg",
                "api_ng.c",
                242,
                0,
                "Unknown cipher or invalid mode",
            ));
        }
        None => return Err(raise(c, "badarg", "api_ng.c", 242, 0, "Unknown cipher")),
    };
    let key = match binary_bytes(c, a[1]) {
        Some(k) if k.len() == ci.key => k,
        _ => return Err(raise(c, "badarg", "api_ng.c", 244, 1, "Bad key size")),
    };
    // ECB takes no IV: one given is not looked at.
    let iv = match binary_bytes(c, a[2]) {
        Some(iv) if iv.len() == 16 || ci.mode == Mode::Ecb => iv,
        _ => return Err(raise(c, "badarg", "api_ng.c", 310, 2, "Bad iv size")),
    };
    let Some((encrypt, pkcs)) = encrypt_flag(c, a[3]) else {
        return Err(raise(c, "badarg", "api_ng.c", 421, 3, "Bad enc flag"));
    };
    let aes = AesKey::new(&key).expect("size checked");
    let iv16 = |iv: &[u8]| -> [u8; 16] { iv.try_into().unwrap_or([0; 16]) };
    let state = match ci.mode {
        Mode::Cbc => ModeState::Block {
            key: aes,
            chain: Some(iv16(&iv)),
            buf: vec![],
            pkcs,
        },
        Mode::Ecb => ModeState::Block {
            key: aes,
            chain: None,
            buf: vec![],
            pkcs,
        },
        Mode::Cfb128 => ModeState::Cfb {
            key: aes,
            reg: iv16(&iv),
            stream: [0; 16],
            pos: 0,
        },
        _ => ModeState::Ctr(CtrState::new(&key, &iv).expect("sizes checked")),
    };
    Ok(CipherCtx {
        state,
        encrypt,
        key,
        pkcs,
        size: 0,
        finished: false,
    })
}

fn ng_crypto_one_time_nif_5(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let mut ctx = match cipher_init(c, &[a[0], a[1], a[2], a[4]]) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(mut data) = to_bytes(c, a[3]) else {
        return raise(c, "badarg", "api_ng.c", 590, 3, "Expected binary");
    };
    ctx.update(&mut data);
    match ctx.finish() {
        Some(last) => {
            data.extend_from_slice(&last);
            Value(binary_word(c, &data))
        }
        None => raise(c, "error", "api_ng.c", 638, -1, "Can't finalize"),
    }
}

fn ng_crypto_init_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match cipher_init(c, a) {
        Ok(ctx) => Value(resource::make(c, Box::new(ctx))),
        Err(r) => r,
    }
}

fn cipher_slot(c: &Ctx, w: Word) -> Option<resource::Slot> {
    let (_, slot) = resource::get(c, w)?;
    let is_cipher = resource::lock(&slot).is::<CipherCtx>();
    is_cipher.then_some(slot)
}

fn ng_crypto_update_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(slot) = cipher_slot(c, a[0]) else {
        return raise(c, "badarg", "api_ng.c", 731, 0, "Bad State");
    };
    let Some(mut data) = to_bytes(c, a[1]) else {
        return raise(c, "badarg", "api_ng.c", 531, 1, "Expected binary");
    };
    if let Some(ctx) = resource::lock(&slot).downcast_mut::<CipherCtx>() {
        ctx.update(&mut data);
    }
    Value(binary_word(c, &data))
}

/// An update with a new IV: the counter restarts from it.
fn ng_crypto_update_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(slot) = cipher_slot(c, a[0]) else {
        return raise(c, "badarg", "api_ng.c", 527, 0, "Bad State");
    };
    let iv = match binary_bytes(c, a[2]) {
        Some(iv) if iv.len() == 16 => iv,
        _ => return raise(c, "badarg", "api_ng.c", 548, 2, "Bad iv size"),
    };
    let Some(mut data) = to_bytes(c, a[1]) else {
        return raise(c, "badarg", "api_ng.c", 531, 1, "Expected binary");
    };
    if let Some(ctx) = resource::lock(&slot).downcast_mut::<CipherCtx>() {
        match &mut ctx.state {
            ModeState::Ctr(s) => *s = CtrState::new(&ctx.key, &iv).expect("sizes checked"),
            ModeState::Block {
                chain: Some(ch), ..
            } => *ch = iv.try_into().unwrap_or([0; 16]),
            ModeState::Cfb { reg, pos, .. } => {
                *reg = iv.try_into().unwrap_or([0; 16]);
                *pos = 0;
            }
            ModeState::Block { chain: None, .. } => {}
        }
        ctx.update(&mut data);
    }
    Value(binary_word(c, &data))
}

fn ng_crypto_final_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(slot) = cipher_slot(c, a[0]) else {
        return raise(c, "badarg", "api_ng.c", 636, 0, "Bad State");
    };
    let last = resource::lock(&slot)
        .downcast_mut::<CipherCtx>()
        .and_then(CipherCtx::finish);
    match last {
        Some(b) => Value(binary_word(c, &b)),
        None => raise(c, "error", "api_ng.c", 638, -1, "Can't finalize"),
    }
}

fn ng_crypto_get_data_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(slot) = cipher_slot(c, a[0]) else {
        return raise(c, "badarg", "api_ng.c", 691, 0, "Bad State");
    };
    let (size, encrypt, pkcs, block, finished) = {
        let s = resource::lock(&slot);
        let ctx = s.downcast_ref::<CipherCtx>().expect("checked");
        let block = matches!(ctx.state, ModeState::Block { .. });
        (ctx.size, ctx.encrypt, ctx.pkcs, block, ctx.finished)
    };
    // What erl 25 reports: -1 until the final call, then what a block
    // cipher's last block lacked.
    let padding = match (finished, block) {
        (false, _) => -1,
        (true, true) => (16 - size % 16) as i64,
        (true, false) => 0,
    };
    let t = Term::Map(vec![
        (Term::atom("size"), Term::Int(size as i64)),
        (Term::atom("padding_size"), Term::Int(padding)),
        (
            Term::atom("padding_type"),
            Term::atom(if pkcs { "pkcs_padding" } else { "undefined" }),
        ),
        (
            Term::atom("encrypt"),
            Term::atom(if encrypt { "true" } else { "false" }),
        ),
    ]);
    Value(c.from_term(&t))
}

/// AES-GCM, one shot: `(Cipher, Key, IV, In, AAD, TagOrTagLength, Encrypt)`;
/// encrypting gives `{Out, Tag}`, decrypting `Out`, or `error` when the tag
/// does not match.
fn aead_cipher_nif_7(c: &mut Ctx, a: &[Word]) -> NativeResult {
    use aes_gcm::aead::AeadInOut;
    use aes_gcm::{KeyInit, Nonce, Tag};

    let ci = match cipher_of(c, a[0]) {
        Some(ci) if ci.mode == Mode::Gcm => ci,
        _ => return raise(c, "notsup", "aead.c", 131, 0, "Unknown cipher"),
    };
    let key = match binary_bytes(c, a[1]) {
        Some(k) if k.len() == ci.key => k,
        _ => return raise(c, "badarg", "aead.c", 84, 1, "Bad key"),
    };
    let Some(iv) = binary_bytes(c, a[2]).filter(|iv| !iv.is_empty()) else {
        return raise(c, "badarg", "aead.c", 87, 2, "Bad iv");
    };
    let Some(mut data) = to_bytes(c, a[3]) else {
        return raise(c, "badarg", "aead.c", 90, 3, "Bad text");
    };
    let Some(aad) = to_bytes(c, a[4]) else {
        return raise(c, "badarg", "aead.c", 93, 4, "Bad aad");
    };
    let encrypt = match atom_name(c, a[6]).as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => return raise(c, "badarg", "aead.c", 96, 6, "Bad enc flag"),
    };
    // The 96-bit IV that GCM is defined for; OpenSSL takes others through
    // GHASH, which these types do not offer.
    if iv.len() != 12 {
        return raise(c, "notsup", "aead.c", 140, 2, "Unsupported IV length");
    }
    let nonce = Nonce::<aes_gcm::aes::cipher::consts::U12>::try_from(&iv[..]).expect("12 bytes");
    macro_rules! run {
        ($ty:ty) => {{
            let cipher = <$ty>::new_from_slice(&key).expect("size checked");
            if encrypt {
                let Some(tag_len) = a[5].as_small().filter(|n| (1..=16).contains(n)) else {
                    return raise(c, "badarg", "aead.c", 100, 5, "Bad Tag length");
                };
                let tag = cipher
                    .encrypt_inout_detached(&nonce, &aad, (&mut data[..]).into())
                    .expect("GCM encrypts any length here");
                let out = binary_word(c, &data);
                let tag = binary_word(c, &tag[..tag_len as usize]);
                Value(c.heap.tuple(0, &[out, tag]))
            } else {
                let tag = match binary_bytes(c, a[5]) {
                    Some(t) if t.len() == 16 => t,
                    Some(t) if (1..=16).contains(&t.len()) => {
                        return raise(c, "notsup", "aead.c", 141, 5, "Unsupported tag length");
                    }
                    _ => return raise(c, "badarg", "aead.c", 103, 5, "Bad Tag"),
                };
                let tag =
                    Tag::<aes_gcm::aes::cipher::consts::U16>::try_from(&tag[..]).expect("16 bytes");
                match cipher.decrypt_inout_detached(&nonce, &aad, (&mut data[..]).into(), &tag) {
                    Ok(()) => Value(binary_word(c, &data)),
                    Err(_) => Value(atom(c, "error")),
                }
            }
        }};
    }
    match ci.key {
        16 => run!(aes_gcm::Aes128Gcm),
        24 => run!(aes_gcm::AesGcm<aes::Aes192, aes_gcm::aes::cipher::consts::U12>),
        _ => run!(aes_gcm::Aes256Gcm),
    }
}
