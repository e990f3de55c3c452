//! Which addresses a webhook may be delivered to. A registered URL is a request the server
//! makes on a tenant's behalf: without this check, any admin could make Kensa call its own
//! database, the cloud's metadata service or anything else on the internal network (SSRF).
//! The check applies to the addresses actually connected to (the worker resolves the host
//! itself and connects only to what passed), so a DNS name that later points inward is
//! caught too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a webhook may not go to `ip` (a short label for the error), or `None` when the
/// address is public.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, _, _) => "unspecified",
        (127, _, _) => "loopback",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared (CGNAT)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "reserved",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    let segments = ip.segments();
    // IPv4 carried in IPv6 reaches that IPv4 address: judge it as such (mapped
    // ::ffff:a.b.c.d, the deprecated compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16).
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    match segments {
        [0, 0, 0, 0, 0, 0, hi, lo] => return refusal_v4(embedded(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return refusal_v4(embedded(hi, lo)),
        // The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) reaches IPv4 through a local
        // gateway whose mapping is not ours to know: refused whole.
        [0x64, 0xff9b, 1, ..] => return Some("NAT64 (local use)"),
        [0x2002, hi, lo, ..] => return refusal_v4(embedded(hi, lo)),
        _ => {}
    }
    let first = segments[0];
    Some(match first {
        _ if first & 0xfe00 == 0xfc00 => "private (unique local)",
        _ if first & 0xffc0 == 0xfe80 => "link-local",
        _ if first & 0xffc0 == 0xfec0 => "site-local",
        _ if first & 0xff00 == 0xff00 => "multicast",
        0x2001 if segments[1] == 0x0db8 => "documentation",
        // 2001::/23: IETF protocol assignments (Teredo, ORCHID, benchmarking …).
        0x2001 if segments[1] < 0x0200 => "reserved",
        0x0100 if segments[1..4] == [0, 0, 0] => "discard",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<&'static str> {
        text.parse::<IpAddr>().ok().and_then(refusal)
    }

    #[test]
    fn internal_addresses_are_refused_with_their_kind() {
        for (address, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("0.0.0.0", "unspecified"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("169.254.169.254", "link-local"),
            ("192.0.2.7", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.7", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::10.0.0.1", "private"),
            ("2002:7f00:1::", "loopback"),
            ("::127.0.0.1", "loopback"),
        ] {
            assert_eq!(refused(address), Some(kind), "{address}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in
            ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"]
        {
            assert_eq!(refused(address), None, "{address}");
        }
    }
}
