//! Enumerating keys with SCAN (never KEYS), on one server or on every
//! primary of a cluster.

use ::redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use ::redis::{cmd, from_redis_value, RedisResult, Value};

use super::pool::Conn;

/// Keys per SCAN round trip.
const COUNT: usize = 500;

/// Every key matching `pattern` (may hold duplicates while the keyspace is
/// being resized; callers deduplicate).
pub(crate) fn scan_keys(conn: &mut Conn, pattern: &str) -> RedisResult<Vec<String>> {
    let mut keys = Vec::new();
    match conn {
        Conn::Single(_) => scan_node(pattern, &mut keys, |c| conn.query(c))?,
        Conn::Cluster(cluster) => {
            for (host, port) in primaries(cluster)? {
                scan_node(pattern, &mut keys, |c| {
                    let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                        host: host.clone(),
                        port,
                    });
                    cluster.route_command(c, route)
                })?;
            }
        }
    }
    Ok(keys)
}

fn scan_node(
    pattern: &str,
    keys: &mut Vec<String>,
    mut run: impl FnMut(&::redis::Cmd) -> RedisResult<Value>,
) -> RedisResult<()> {
    let mut cursor: u64 = 0;
    loop {
        let mut c = cmd("SCAN");
        c.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(COUNT);
        let (next, batch): (u64, Vec<String>) = from_redis_value(run(&c)?)?;
        keys.extend(batch);
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// `(host, port)` of every primary, from `CLUSTER SLOTS`.
fn primaries(cluster: &mut ::redis::cluster::ClusterConnection) -> RedisResult<Vec<(String, u16)>> {
    let slots = cluster.route_command(
        &cmd("CLUSTER").arg("SLOTS").to_owned(),
        RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
    )?;
    // Each entry: [start, end, [host, port, id, ...], replicas...].
    let entries: Vec<Vec<Value>> = from_redis_value(slots)?;
    let mut out: Vec<(String, u16)> = Vec::new();
    for entry in entries {
        if let Some(Value::Array(primary)) = entry.get(2) {
            if primary.len() >= 2 {
                let host: String = from_redis_value(primary[0].clone())?;
                let port: u16 = from_redis_value(primary[1].clone())?;
                if !out.iter().any(|(h, p)| *h == host && *p == port) {
                    out.push((host, port));
                }
            }
        }
    }
    Ok(out)
}
