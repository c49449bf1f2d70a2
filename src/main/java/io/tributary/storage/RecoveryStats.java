package io.tributary.storage;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counters that partition loads add to while {@link LogManager#startup} runs; thread-safe. */
final class RecoveryStats {
    final AtomicInteger partitionsTotal = new AtomicInteger();
    final AtomicInteger partitionsLoaded = new AtomicInteger();
    final AtomicInteger partitionsFailed = new AtomicInteger();
    final AtomicInteger segmentsLoaded = new AtomicInteger();
    final AtomicInteger segmentsRecovered = new AtomicInteger();
    final AtomicLong bytesTruncated = new AtomicLong();

    RecoveryProgress snapshot() {
        return new RecoveryProgress(partitionsTotal.get(), partitionsLoaded.get(), bytesTruncated.get(),
                segmentsLoaded.get(), segmentsRecovered.get(), partitionsFailed.get());
    }
}
