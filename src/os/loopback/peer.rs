//! The peer check: a listener's say on a connection from its two addresses alone, before a byte
//! of it is read. [`owner`] asks the kernel which user owns the client's socket (Linux).

use std::net::SocketAddr;

use super::Answer;

/// Called with the accepted connection's local and remote addresses before anything is read:
/// `Ok` serves it, `Err` writes that answer and closes it unread.
pub type PeerCheck = dyn Fn(SocketAddr, SocketAddr) -> Result<(), Answer> + Send + Sync;

/// Serves every peer (the listener is on 127.0.0.1 only).
pub fn any(_local: SocketAddr, _peer: SocketAddr) -> Result<(), Answer> {
    Ok(())
}

/// Who connected, as far as the kernel tells. Only Linux tells (elsewhere every peer is
/// `Unchecked`).
pub enum Owner {
    /// The user awsenv runs as.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Me,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Other(u32),
    /// Not in the kernel's tables (Linux): refused, since it cannot be shown to be the user.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Unknown,
    /// This platform cannot tell: served.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Unchecked,
}

impl Owner {
    /// Who to name in a refusal, or None to serve.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Owner::Me | Owner::Unchecked => None,
            Owner::Other(uid) => Some(format!("uid {uid}")),
            Owner::Unknown => Some("a process whose owner cannot be found".into()),
        }
    }
}

/// The owner of the client socket at `peer` connected to our `local` end on 127.0.0.1.
#[cfg(target_os = "linux")]
pub fn owner(local: SocketAddr, peer: SocketAddr) -> Owner {
    let me = rustix::process::geteuid().as_raw();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        if let Some(uid) = owner_in(&text, local.port(), peer.port()) {
            return if uid == me {
                Owner::Me
            } else {
                Owner::Other(uid)
            };
        }
    }
    Owner::Unknown
}

#[cfg(not(target_os = "linux"))]
pub fn owner(_local: SocketAddr, _peer: SocketAddr) -> Owner {
    Owner::Unchecked
}

/// In a `/proc/net/tcp{,6}` table, the uid of the socket whose local port is `peer_port` and
/// whose remote port is `port`: the client's end of the connection.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owner_in(table: &str, port: u16, peer_port: u16) -> Option<u32> {
    let port_of = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, uid) = (cols.get(1)?, cols.get(2)?, cols.get(7)?);
        (port_of(local)? == peer_port && port_of(remote)? == port)
            .then(|| uid.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_end_of_the_connection_is_found() {
        // 127.0.0.1:40000 -> 127.0.0.1:8080 owned by 1002; our accepted end owned by 0.
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 3 1\n";
        assert_eq!(owner_in(table, 8080, 40000), Some(1002));
        assert_eq!(owner_in(table, 8080, 40001), None);
    }
}
