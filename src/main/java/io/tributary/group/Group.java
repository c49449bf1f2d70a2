package io.tributary.group;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/**
 * One classic group: its members, generation, chosen protocol and committed offsets.
 *
 * <p>Not thread-safe: every field is guarded by the group's own monitor ({@code synchronized
 * (group)}), which {@link GroupCoordinator} holds for every read and change.
 */
final class Group {

    final String groupId;
    GroupState state = GroupState.EMPTY;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    /** Members in join order: the first becomes leader when there is none. */
    final Map<String, Member> members = new LinkedHashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED whose holders have not joined yet. */
    final Set<String> pendingMembers = new HashSet<>();
    /** Static members: group.instance.id to the member id currently holding it. */
    final Map<String, String> staticMembers = new HashMap<>();
    final Map<TopicPartition, CommittedOffset> offsets = new HashMap<>();
    /** Identifies the current rebalance, so a timer of an earlier one does nothing. */
    long rebalanceId;
    ScheduledFuture<?> joinTimer;
    /** Whether the current rebalance is the first of an empty group (waits group.initial.rebalance.delay.ms). */
    boolean initialRebalance;

    Group(String groupId) {
        this.groupId = groupId;
    }

    boolean allMembersJoined() {
        return pendingMembers.isEmpty() && members.values().stream().allMatch(m -> m.awaitingJoin != null);
    }

    int maxRebalanceTimeoutMs() {
        return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
    }

    /** A protocol every member supports, the one most members rank highest (Kafka's vote). */
    String selectProtocol() {
        Set<String> common = null;
        for (Member m : members.values()) {
            Set<String> names = new HashSet<>();
            m.protocols.forEach(p -> names.add(p.name()));
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        if (common == null || common.isEmpty()) {
            return null;
        }
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (Member m : members.values()) {
            for (GroupCoordinator.Protocol p : m.protocols) {
                if (common.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    /** Whether a joining member's protocols fit the group (same type, at least one protocol in common). */
    boolean supports(String type, java.util.List<GroupCoordinator.Protocol> protocols) {
        if (protocols.isEmpty() || type == null || type.isEmpty()) {
            return false;
        }
        if (members.isEmpty()) {
            return true;
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        for (GroupCoordinator.Protocol p : protocols) {
            boolean everyone = members.values().stream().allMatch(m -> m.protocols.stream()
                    .anyMatch(q -> q.name().equals(p.name())));
            if (everyone) {
                return true;
            }
        }
        return false;
    }
}
