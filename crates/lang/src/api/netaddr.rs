//! Address arithmetic: `ip_in_cidr(ip, cidr)`.

use crate::raise::{at, OrMessage, RhaiResult};
use rhai::{Engine, NativeCallContext};
use std::net::IpAddr;

/// Is `ip` inside `cidr` (IPv4 or IPv6)?
pub fn in_cidr(ip: &str, cidr: &str) -> OrMessage<bool> {
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| format!("`{ip}` is not an IP address"))?;
    let (net, len) = cidr
        .split_once('/')
        .ok_or_else(|| format!("`{cidr}` is not a CIDR (expected ADDRESS/LENGTH)"))?;
    let net: IpAddr = net.parse().map_err(|_| format!("`{cidr}` is not a CIDR"))?;
    let len: u32 = len
        .parse()
        .map_err(|_| format!("`{cidr}` has a bad prefix length"))?;
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if len <= 32 => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            Ok(u32::from(a) & mask == u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if len <= 128 => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            Ok(u128::from(a) & mask == u128::from(n) & mask)
        }
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            Err(format!("`{cidr}` has a bad prefix length"))
        }
        _ => Ok(false),
    }
}

pub fn register(engine: &mut Engine) {
    engine.register_fn(
        "ip_in_cidr",
        |nctx: NativeCallContext, ip: &str, cidr: &str| -> RhaiResult<bool> {
            in_cidr(ip, cidr).map_err(|e| at(&nctx, e))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::in_cidr;

    #[test]
    fn v4_and_v6() {
        assert!(in_cidr("10.240.3.0", "10.240.0.0/16").unwrap());
        assert!(!in_cidr("10.241.0.1", "10.240.0.0/16").unwrap());
        assert!(in_cidr("fd00::1", "fd00::/8").unwrap());
        assert!(!in_cidr("10.0.0.1", "fd00::/8").unwrap());
        assert!(in_cidr("10.0.0.1", "10.0.0.0/33").is_err());
        assert!(in_cidr("nope", "10.0.0.0/8").is_err());
    }
}
