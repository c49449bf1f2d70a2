package io.tributary.group;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One member of a classic group, as the coordinator tracks it.
 *
 * <p>Not thread-safe: guarded by the lock of its {@link Group}.
 */
final class Member {

    final String memberId;
    final String groupInstanceId;
    final String clientId;
    final String clientHost;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    /** The protocols (assignors) the member supports, in its order of preference. */
    List<GroupCoordinator.Protocol> protocols;
    byte[] assignment = new byte[0];
    /** The member's JoinGroup waiting for the rebalance to complete, if any. */
    CompletableFuture<GroupCoordinator.JoinResult> awaitingJoin;
    /** The member's SyncGroup waiting for the leader's assignment, if any. */
    CompletableFuture<GroupCoordinator.SyncResult> awaitingSync;
    /** Bumped on every heartbeat, so an expiry scheduled before it is recognised as stale. */
    long heartbeatEpoch;
    ScheduledFuture<?> expiry;

    Member(String memberId, String groupInstanceId, String clientId, String clientHost, int sessionTimeoutMs,
           int rebalanceTimeoutMs, List<GroupCoordinator.Protocol> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.protocols = List.copyOf(protocols);
    }

    byte[] metadata(String protocolName) {
        for (GroupCoordinator.Protocol p : protocols) {
            if (p.name().equals(protocolName)) {
                return p.metadata();
            }
        }
        return new byte[0];
    }

    boolean sameProtocols(List<GroupCoordinator.Protocol> other) {
        if (other.size() != protocols.size()) {
            return false;
        }
        for (int i = 0; i < other.size(); i++) {
            if (!other.get(i).name().equals(protocols.get(i).name())
                    || !java.util.Arrays.equals(other.get(i).metadata(), protocols.get(i).metadata())) {
                return false;
            }
        }
        return true;
    }
}
