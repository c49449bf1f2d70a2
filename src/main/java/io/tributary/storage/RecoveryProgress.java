package io.tributary.storage;

/**
 * A snapshot of what {@link LogManager#startup} has done so far.
 *
 * @param partitionsTotal   partition directories found in all online log dirs
 * @param partitionsLoaded  partitions loaded (recovered or not) so far
 * @param bytesTruncated    bytes dropped from torn or corrupt tails, over all partitions
 * @param segmentsLoaded    segments opened
 * @param segmentsRecovered segments re-validated batch by batch (zero after a clean shutdown unless an
 *                          index failed its sanity check)
 * @param partitionsFailed  partitions that could not be loaded because of an I/O error (their log dir
 *                          is offline)
 */
public record RecoveryProgress(int partitionsTotal, int partitionsLoaded, long bytesTruncated, int segmentsLoaded,
        int segmentsRecovered, int partitionsFailed) {
}
