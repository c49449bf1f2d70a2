package io.tributary.broker.subscription;

import io.tributary.storage.ReadableLog;
import io.tributary.storage.OffsetAndTimestamp;

/** Where a subscription to a partition starts. */
public sealed interface StartPosition {

    /** The first offset the log still holds. */
    record Earliest() implements StartPosition {
    }

    /** The high watermark at subscribe time: only records written from now on. */
    record Latest() implements StartPosition {
    }

    /** An exact offset, from the log start offset up to the high watermark (resume: the last offset seen + 1). */
    record AtOffset(long offset) implements StartPosition {
    }

    /** The first record with a timestamp at or after this one (epoch ms); the high watermark if there is none. */
    record AtTimestamp(long timestampMs) implements StartPosition {
    }

    /**
     * The offset this position denotes in {@code log} now.
     *
     * @throws StartOffsetOutOfRangeException an exact offset outside {@code [logStartOffset, highWatermark]}
     */
    default long resolve(ReadableLog log) {
        long start = log.logStartOffset();
        long hw = log.highWatermark();
        if (this instanceof Earliest) {
            return start;
        } else if (this instanceof Latest) {
            return hw;
        } else if (this instanceof AtOffset at) {
            if (at.offset() < start || at.offset() > hw) {
                throw new StartOffsetOutOfRangeException(log.topicPartition(), at.offset(), start, hw);
            }
            return at.offset();
        } else {
            long ts = ((AtTimestamp) this).timestampMs();
            return log.offsetForTimestamp(ts).map(OffsetAndTimestamp::offset).map(o -> Math.max(o, start)).orElse(hw);
        }
    }
}
