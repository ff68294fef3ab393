//! Which addresses a check may connect to. A monitoring service that checks URLs its users
//! type must not become their way into its own network (SSRF): with
//! [`TargetPolicy::PublicOnly`] every address is judged where the connect to it would start,
//! after DNS and on every hop, so neither a redirect nor a name that resolves differently the
//! second time (DNS rebinding) reaches an address the policy refuses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses a prober may connect to. Off ([`TargetPolicy::AllowAll`]) by default: the
/// CLI and a self-hosted server are meant to check internal services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TargetPolicy {
    /// Any address.
    #[default]
    AllowAll,
    /// Only publicly routable unicast addresses: no loopback, private, shared (CGNAT),
    /// link-local, unique-local, unspecified, broadcast, multicast, reserved or cloud
    /// metadata address, in IPv4 or in any IPv6 form that embeds one.
    PublicOnly,
}

impl TargetPolicy {
    /// Whether a connect to `ip` is allowed: a pure function, so whatever else connects on
    /// a user's behalf (a notification webhook) can apply the same rule.
    pub fn check(self, ip: IpAddr) -> Result<(), Refusal> {
        match self {
            Self::AllowAll => Ok(()),
            Self::PublicOnly => match AddressClass::of(ip) {
                AddressClass::Public => Ok(()),
                class => Err(Refusal { ip, class }),
            },
        }
    }
}

/// What kind of address an IP is, as far as reaching it from a prober goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918), and the deprecated IPv6
    /// site-local fec0::/10.
    Private,
    /// 100.64.0.0/10 (RFC 6598): carrier-grade NAT, also used inside clouds.
    SharedAddressSpace,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// fc00::/7.
    UniqueLocal,
    /// 0.0.0.0/8 ("this network"), ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 240.0.0.0/4 (reserved for future use).
    Reserved,
    /// An instance metadata service, which hands out cloud credentials: 169.254.169.254
    /// (AWS, GCP, Azure, Oracle, DigitalOcean…), 169.254.170.2 (AWS ECS), fd00:ec2::254
    /// (AWS over IPv6), 100.100.100.200 (Alibaba Cloud).
    CloudMetadata,
}

const CLOUD_METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];
const CLOUD_METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254)];

impl AddressClass {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => Self::of_v6(v6),
        }
    }

    fn of_v4(ip: Ipv4Addr) -> Self {
        let [a, b, ..] = ip.octets();
        if CLOUD_METADATA_V4.contains(&ip) {
            Self::CloudMetadata
        } else if a == 0 {
            Self::Unspecified
        } else if ip.is_loopback() {
            Self::Loopback
        } else if ip.is_private() {
            Self::Private
        } else if a == 100 && (64..128).contains(&b) {
            Self::SharedAddressSpace
        } else if ip.is_link_local() {
            Self::LinkLocal
        } else if ip.is_broadcast() {
            Self::Broadcast
        } else if ip.is_multicast() {
            Self::Multicast
        } else if a >= 240 {
            Self::Reserved
        } else {
            Self::Public
        }
    }

    fn of_v6(ip: Ipv6Addr) -> Self {
        if let Some(v4) = embedded_v4(ip) {
            return Self::of_v4(v4);
        }
        let first = ip.segments()[0];
        if CLOUD_METADATA_V6.contains(&ip) {
            Self::CloudMetadata
        } else if ip.is_unspecified() {
            Self::Unspecified
        } else if ip.is_loopback() {
            Self::Loopback
        } else if first & 0xfe00 == 0xfc00 {
            Self::UniqueLocal
        } else if first & 0xffc0 == 0xfe80 {
            Self::LinkLocal
        } else if first & 0xffc0 == 0xfec0 {
            Self::Private
        } else if ip.is_multicast() {
            Self::Multicast
        } else {
            Self::Public
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::SharedAddressSpace => "a shared (carrier-grade NAT) address",
            Self::LinkLocal => "a link-local address",
            Self::UniqueLocal => "a unique-local address",
            Self::Unspecified => "an unspecified address",
            Self::Broadcast => "the broadcast address",
            Self::Multicast => "a multicast address",
            Self::Reserved => "a reserved address",
            Self::CloudMetadata => "a cloud metadata address",
        }
    }
}

/// The IPv4 address an IPv6 address stands for, where a connect to it reaches that IPv4
/// address: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated but still
/// routed by some stacks) and NAT64 (64:ff9b::a.b.c.d, translated by a gateway).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // :: and ::1 are IPv6's own unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => None,
        [0, 0, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        _ => None,
    }
}

/// Why [`TargetPolicy::check`] refused an address: "127.0.0.1 is a loopback address".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub ip: IpAddr,
    pub class: AddressClass,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.ip, self.class.describe())?;
        if let IpAddr::V6(v6) = self.ip
            && let Some(v4) = embedded_v4(v6)
        {
            write!(f, " ({v4} in IPv6 form)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> AddressClass {
        AddressClass::of(ip.parse().unwrap())
    }

    #[test]
    fn every_address_lands_in_its_class() {
        use AddressClass::*;
        let table = [
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("::1", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("fec0::1", Private),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("169.254.0.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fdff:ffff::1", UniqueLocal),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("::", Unspecified),
            ("255.255.255.255", Broadcast),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("ff02::1", Multicast),
            ("240.0.0.1", Reserved),
            ("169.254.169.254", CloudMetadata),
            ("169.254.170.2", CloudMetadata),
            ("fd00:ec2::254", CloudMetadata),
            ("100.100.100.200", CloudMetadata),
            // IPv6 forms of IPv4 addresses are judged as the IPv4 address.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:0.0.0.0", Unspecified),
            ("::127.0.0.1", Loopback),
            ("64:ff9b::192.168.0.1", Private),
            ("64:ff9b::8.8.8.8", Public),
            ("::ffff:93.184.216.34", Public),
            // Just outside the refused ranges.
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("9.255.255.255", Public),
            ("11.0.0.0", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("192.167.255.255", Public),
            ("192.169.0.0", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("169.253.255.255", Public),
            ("169.255.0.0", Public),
            ("223.255.255.255", Public),
            ("126.255.255.255", Public),
            ("128.0.0.0", Public),
            ("2606:4700:4700::1111", Public),
            ("2001:4860:4860::8888", Public),
            ("fbff::1", Public),
            ("fe00::1", Public),
            ("fd00:ec2::253", UniqueLocal),
        ];
        for (ip, expected) in table {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn public_only_refuses_all_but_public_addresses_and_allow_all_refuses_none() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "::ffff:192.168.0.1",
            "fd00:ec2::254",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(TargetPolicy::PublicOnly.check(ip).is_err(), "{ip}");
            assert_eq!(TargetPolicy::AllowAll.check(ip), Ok(()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700:4700::1111"] {
            assert_eq!(TargetPolicy::PublicOnly.check(ip.parse().unwrap()), Ok(()));
        }
        assert_eq!(TargetPolicy::default(), TargetPolicy::AllowAll);
    }

    #[test]
    fn a_refusal_names_the_address_and_why() {
        let refusal = |ip: &str| {
            TargetPolicy::PublicOnly
                .check(ip.parse().unwrap())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(refusal("127.0.0.1"), "127.0.0.1 is a loopback address");
        assert_eq!(
            refusal("169.254.169.254"),
            "169.254.169.254 is a cloud metadata address"
        );
        assert_eq!(
            refusal("::ffff:10.0.0.1"),
            "::ffff:10.0.0.1 is a private address (10.0.0.1 in IPv6 form)"
        );
    }
}
