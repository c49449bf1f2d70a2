package io.tributary.broker.subscription;

/**
 * What a subscriber has allowed the broker to send and not yet received: a number of records and,
 * once the subscriber has granted bytes at all, a number of bytes. A record is sent only if both
 * allow it, so the broker never sends past either.
 *
 * <p>Bytes are counted as the UTF-8 size of each record's JSON object, which a subscriber can
 * measure on what it receives.
 *
 * <p>Not thread-safe: the owning {@link SubscriptionSession} guards it with its state lock.
 */
final class Credit {

    /** Byte credit of a subscriber that never granted bytes: only records limit it. */
    static final long UNLIMITED = -1;

    private final long maxRecords;
    private final long maxBytes;
    private long records;
    private long bytes = UNLIMITED;

    Credit(long initialRecords, long maxRecords, long maxBytes) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
        this.records = initialRecords;
    }

    /**
     * Adds credit. Nothing is added if either kind would then exceed its maximum.
     *
     * @throws CreditOverflowException if the unspent credit would exceed the maximum
     */
    void grant(long moreRecords, long moreBytes) {
        if (moreRecords < 0 || moreBytes < 0) {
            throw new IllegalArgumentException("credit must not be negative");
        }
        long newRecords = records + moreRecords;
        if (newRecords > maxRecords) {
            throw new CreditOverflowException("records", records, moreRecords, maxRecords);
        }
        long newBytes = bytes;
        if (moreBytes > 0) {
            newBytes = (bytes == UNLIMITED ? 0 : bytes) + moreBytes;
            if (newBytes > maxBytes) {
                throw new CreditOverflowException("bytes", Math.max(bytes, 0), moreBytes, maxBytes);
            }
        }
        records = newRecords;
        bytes = newBytes;
    }

    /** Whether a record of {@code size} bytes may be sent now. */
    boolean allows(long size) {
        return records > 0 && (bytes == UNLIMITED || bytes >= size);
    }

    boolean exhausted() {
        return records == 0 || bytes == 0;
    }

    void spend(long size) {
        records--;
        if (bytes != UNLIMITED) {
            bytes -= size;
        }
    }

    /** Gives back what {@link #spend} took for records that were not sent after all. */
    void refund(long recordCount, long size) {
        records += recordCount;
        if (bytes != UNLIMITED) {
            bytes += size;
        }
    }

    long records() {
        return records;
    }

    /** Unspent byte credit, or {@link #UNLIMITED}. */
    long bytes() {
        return bytes;
    }
}
