package io.tributary.group;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a group's coordinator is now, as this broker sees it: here, on another live broker, or
 * nowhere (its {@code __consumer_offsets} partition has no live leader, or the topic does not exist
 * yet). Immutable.
 */
public sealed interface CoordinatorLocation {

    /** This broker coordinates the group (or coordinates every group, as a single broker does). */
    CoordinatorLocation HERE = new Here();
    /** No broker coordinates the group now. */
    CoordinatorLocation UNKNOWN = new Unknown();

    record Here() implements CoordinatorLocation {
    }

    record Unknown() implements CoordinatorLocation {
    }

    /**
     * Another broker coordinates the group.
     *
     * @param brokerId    the coordinator's broker id
     * @param httpAddress the HTTP base address it registered ({@code http://host:port}), if any
     */
    record Elsewhere(int brokerId, Optional<String> httpAddress) implements CoordinatorLocation {
        public Elsewhere {
            Objects.requireNonNull(httpAddress);
        }
    }

    /** Finds a group's coordinator. Implementations must be thread-safe and must not block for long. */
    @FunctionalInterface
    interface Locator {
        CoordinatorLocation locate(String groupId);
    }
}
