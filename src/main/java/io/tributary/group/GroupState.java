package io.tributary.group;

/**
 * Where a classic group is in its rebalance cycle, named as Kafka's DescribeGroups and ListGroups
 * report it.
 *
 * <pre>
 * Empty --join--> PreparingRebalance --all joined or rebalance timeout--> CompletingRebalance
 * CompletingRebalance --leader's SyncGroup--> Stable
 * Stable / CompletingRebalance --join, leave, session timeout--> PreparingRebalance
 * PreparingRebalance --nobody rejoined--> Empty;  Empty --DeleteGroups--> Dead
 * </pre>
 */
public enum GroupState {
    EMPTY("Empty"),
    PREPARING_REBALANCE("PreparingRebalance"),
    COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"),
    DEAD("Dead");

    private final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** The name on the wire, e.g. {@code PreparingRebalance}. */
    public String kafkaName() {
        return kafkaName;
    }

    /** The state for a wire name, case-insensitively (ListGroups filters are matched that way). */
    public static java.util.Optional<GroupState> fromKafkaName(String name) {
        for (GroupState s : values()) {
            if (s.kafkaName.equalsIgnoreCase(name)) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }
}
