package io.tributary.group;

/**
 * An offset a group committed for one partition: the next record the group will read.
 *
 * @param offset          the committed offset
 * @param leaderEpoch     the leader epoch of the last record consumed, or -1
 * @param metadata        the client's free-form string, never null
 * @param commitTimestamp when the coordinator accepted the commit, epoch milliseconds
 */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    public CommittedOffset {
        metadata = metadata == null ? "" : metadata;
    }
}
