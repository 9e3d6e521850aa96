//! The `udp_inet` and `tcp_inet` drivers, as far as OTP's `prim_inet` needs
//! them for what is not a socket: `inet:gethostname/0` (which opens a UDP
//! port, binds it, asks the host name and closes it), `inet_db`'s boot,
//! `net_adm:localhost/0`. There are no sockets behind these ports: a
//! request that would need one answers `enotsup` (see `docs/vm.md`,
//! "Ports").
//!
//! `port_control/3` requests and replies are inet_drv's: the request is
//! the driver's base number plus the request code, and the reply a byte
//! list that starts with 1 (then the answer) or 0 (then an error name,
//! which `prim_inet` turns into `{error, Name}`).

use std::collections::BTreeMap;

/// The number inet_drv adds to every request code (it refuses a request
/// without it as an unknown one).
const BASE: i64 = 0x3F1A300;

/// Request codes (prim_inet's `INET_REQ_*`).
const OPEN: i64 = 1;
const PEER: i64 = 4;
const BIND: i64 = 6;
const SETOPTS: i64 = 7;
const GETOPTS: i64 = 8;
const GETHOSTNAME: i64 = 12;
const GETTYPE: i64 = 15;
const SUBSCRIBE: i64 = 24;

/// Options with a value other than one 32-bit integer: `linger` is two.
const OPT_LINGER: u8 = 3;
/// `active`, whose default (`false`) `prim_inet` reads back.
const OPT_ACTIVE: u8 = 22;

/// The subscription `prim_inet:close/1` asks for: the count of bytes
/// still to send (never any here).
const SUBS_EMPTY_OUT_Q: u8 = 1;

/// A driver port's state.
#[derive(Debug, Default)]
pub(crate) struct Inet {
    /// Family and type, once opened (`INET_REQ_OPEN`).
    opened: Option<(u8, u8)>,
    /// The options set, by code, with their encoded values.
    opts: BTreeMap<u8, Vec<u8>>,
}

/// Whether `name` is a driver LAM has.
pub(crate) fn is_driver(name: &str) -> bool {
    matches!(name, "udp_inet" | "tcp_inet")
}

/// The machine's host name, as `gethostname(2)` gives it.
fn host_name() -> Option<Vec<u8>> {
    crate::vm::platform::host_name()
}

impl Inet {
    /// The reply to request `code` with `data`: `Ok(answer)` or
    /// `Err(error name)`.
    pub(crate) fn control(&mut self, code: i64, data: &[u8]) -> Result<Vec<u8>, &'static str> {
        let Some(req) = code.checked_sub(BASE).filter(|r| (0..256).contains(r)) else {
            return Err("exbadport");
        };
        match req {
            OPEN => match data {
                [family @ (1 | 2), ty @ (1..=3), ..] if self.opened.is_none() => {
                    self.opened = Some((*family, *ty));
                    Ok(Vec::new())
                }
                _ => Err("einval"),
            },
            GETHOSTNAME => host_name().ok_or("einval"),
            // (prim_inet sets the options it opens with before OPEN.)
            SETOPTS => {
                let mut rest = data;
                let mut set = Vec::new();
                while let [opt, tail @ ..] = rest {
                    let n = if *opt == OPT_LINGER { 8 } else { 4 };
                    if tail.len() < n {
                        return Err("einval");
                    }
                    set.push((*opt, tail[..n].to_vec()));
                    rest = &tail[n..];
                }
                self.opts.extend(set);
                Ok(Vec::new())
            }
            GETOPTS => {
                let mut out = Vec::new();
                for &opt in data {
                    let value = match (self.opts.get(&opt), opt) {
                        (Some(v), _) => v.clone(),
                        (None, OPT_LINGER) => vec![0; 8],
                        (None, OPT_ACTIVE) => vec![0; 4],
                        _ => return Err("enotsup"),
                    };
                    out.push(opt);
                    out.extend(value);
                }
                Ok(out)
            }
            BIND | GETTYPE | PEER | SUBSCRIBE if self.opened.is_none() => Err("ebadf"),
            // No socket: the address is taken and the port asked for
            // given back (0 stays 0, where a socket would get one).
            BIND => match data {
                [1, p1, p0, _, _, _, _] | [2, p1, p0, ..] => Ok(vec![*p1, *p0]),
                _ => Err("einval"),
            },
            GETTYPE => {
                let (family, ty) = self.opened.unwrap_or_default();
                let mut out = u32::from(family).to_be_bytes().to_vec();
                out.extend(u32::from(ty).to_be_bytes());
                Ok(out)
            }
            PEER => Err("enotconn"),
            SUBSCRIBE => {
                let mut out = Vec::new();
                for &s in data {
                    if s != SUBS_EMPTY_OUT_Q {
                        return Err("einval");
                    }
                    out.push(s);
                    out.extend(0u32.to_be_bytes());
                }
                Ok(out)
            }
            _ => Err("enotsup"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_what_prim_inet_asks_on_a_gethostname() {
        // The requests inet:gethostname/0 makes on erl 25, with erl's
        // replies (a trace of erlang:port_control/3).
        let mut d = Inet::default();
        assert_eq!(d.control(BASE + SETOPTS, &[]), Ok(vec![]));
        assert_eq!(d.control(BASE + BIND, &[1, 0, 0, 0, 0, 0, 0]), Err("ebadf"));
        assert_eq!(d.control(BASE + OPEN, &[1, 2]), Ok(vec![]));
        assert_eq!(
            d.control(BASE + SETOPTS, &[7, 0, 0, 32, 0, 22, 0, 0, 0, 1]),
            Ok(vec![])
        );
        assert_eq!(
            d.control(BASE + BIND, &[1, 0, 0, 0, 0, 0, 0]),
            Ok(vec![0, 0])
        );
        assert_eq!(
            d.control(BASE + GETOPTS, &[3]),
            Ok(vec![3, 0, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            d.control(BASE + GETOPTS, &[22, 7]),
            Ok(vec![22, 0, 0, 0, 1, 7, 0, 0, 32, 0])
        );
        assert_eq!(d.control(BASE + SUBSCRIBE, &[1]), Ok(vec![1, 0, 0, 0, 0]));
        assert_eq!(
            d.control(BASE + GETTYPE, &[]),
            Ok(vec![0, 0, 0, 1, 0, 0, 0, 2])
        );
        assert_eq!(d.control(GETHOSTNAME, &[]), Err("exbadport"));
        assert_eq!(d.control(BASE + 3, &[]), Err("enotsup"));
        assert_eq!(d.control(BASE + OPEN, &[1, 2]), Err("einval"));
    }
}
