package io.tributary.storage;

import org.apache.kafka.common.errors.DuplicateSequenceException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The idempotent-producer state of one partition: for every producer id seen, its epoch and the
 * sequence numbers and offsets of its last {@value #BATCHES_KEPT} batches (the most a Java
 * producer has in flight), so that a batch retried after a lost answer is recognised and answered
 * with the offsets it got the first time instead of being appended twice.
 *
 * <p><b>Rules</b> (Kafka's, for non-transactional producers): a batch from an older epoch is
 * rejected (INVALID_PRODUCER_EPOCH); a newer epoch must start at sequence 0; in the same epoch a
 * batch equal to a remembered one is a duplicate, and otherwise must start right after the last
 * sequence (wrapping after {@code Integer.MAX_VALUE}) or it is OUT_OF_ORDER_SEQUENCE_NUMBER. A
 * producer id never seen (new, or its state lost) is accepted at any sequence. A producer that has
 * not written for {@link #EXPIRATION_MS} (Kafka's {@code producer.id.expiration.ms} default) is
 * forgotten, so ids of producers long gone do not pile up.
 *
 * <p><b>Crash behaviour:</b> nothing is persisted of its own: the state is in the batch headers
 * in the log, and {@link PartitionLog} rebuilds it by replaying them when the log is loaded or
 * truncated. The replay reads batch headers only, not records.
 *
 * <p>Not thread-safe: {@link PartitionLog} calls it under its append lock.
 */
public final class ProducerStateManager {

    /** Batches remembered per producer, as Kafka's {@code ProducerStateEntry.NUM_BATCHES_TO_RETAIN}. */
    public static final int BATCHES_KEPT = 5;

    /** Producers idle this long are forgotten: Kafka's default {@code producer.id.expiration.ms}, one day. */
    public static final long EXPIRATION_MS = 24L * 60 * 60 * 1000;

    /** Where one producer batch landed. */
    public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset) {
    }

    /** One producer's epoch and last batches, oldest first. */
    private static final class Entry {
        short epoch;
        long lastWriteMs;
        final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>();
    }

    private final Map<Long, Entry> producers = new HashMap<>();

    /**
     * Checks one batch against the state.
     *
     * @return the earlier append if the batch is a duplicate, empty if it is to be appended
     * @throws InvalidProducerEpochException an older epoch than the producer's current one
     * @throws OutOfOrderSequenceException   a gap or a step back in the sequence
     */
    public Optional<BatchMetadata> check(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return Optional.empty();
        }
        Entry entry = producers.get(batch.producerId());
        if (entry == null) {
            return Optional.empty();
        }
        short epoch = batch.producerEpoch();
        int firstSeq = batch.baseSequence();
        int lastSeq = batch.lastSequence();
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Producer " + batch.producerId() + " sent epoch " + epoch
                    + " but its current epoch is " + entry.epoch);
        }
        if (epoch > entry.epoch) {
            if (firstSeq != 0) {
                throw new OutOfOrderSequenceException("Producer " + batch.producerId() + " starts epoch " + epoch
                        + " at sequence " + firstSeq + "; a new epoch starts at 0");
            }
            return Optional.empty();
        }
        for (BatchMetadata m : entry.batches) {
            if (m.firstSeq() == firstSeq && m.lastSeq() == lastSeq) {
                return Optional.of(m);
            }
        }
        BatchMetadata last = entry.batches.peekLast();
        if (last != null) {
            int expected = last.lastSeq() == Integer.MAX_VALUE ? 0 : last.lastSeq() + 1;
            if (firstSeq != expected) {
                throw new OutOfOrderSequenceException("Out of order sequence number for producer " + batch.producerId()
                        + " at epoch " + epoch + ": got " + firstSeq + ", expected " + expected);
            }
        }
        return Optional.empty();
    }

    /**
     * Checks every batch of a request in order, as if each earlier one had been appended. A request
     * that is one duplicate batch is reported as such; a duplicate among other batches is refused
     * (DUPLICATE_SEQUENCE_NUMBER) since the request cannot be half appended.
     */
    public Optional<BatchMetadata> checkAll(Iterable<? extends RecordBatch> batches) {
        java.util.Iterator<? extends RecordBatch> it = batches.iterator();
        if (!it.hasNext()) {
            return Optional.empty();
        }
        RecordBatch first = it.next();
        if (!it.hasNext()) {
            // The usual request: one batch per partition. Nothing comes after it, so there is nothing
            // to check against a tentative record of it, and no state to copy and restore.
            return check(first);
        }
        Map<Long, Entry> saved = new HashMap<>();
        int count = 0;
        Optional<BatchMetadata> duplicate = Optional.empty();
        try {
            for (RecordBatch batch : batches) {
                count++;
                Optional<BatchMetadata> d = check(batch);
                if (d.isPresent()) {
                    duplicate = d;
                } else if (batch.hasProducerId()) {
                    // Tentatively record it so the next batch of the same producer is checked against it.
                    if (!saved.containsKey(batch.producerId())) {
                        saved.put(batch.producerId(), copy(producers.get(batch.producerId())));
                    }
                    record(batch, -1, -1);
                }
            }
        } finally {
            saved.forEach((id, entry) -> {
                if (entry == null) {
                    producers.remove(id);
                } else {
                    producers.put(id, entry);
                }
            });
        }
        if (duplicate.isPresent() && count > 1) {
            throw new DuplicateSequenceException("A request mixes a retried batch with new ones");
        }
        return duplicate;
    }

    /**
     * Records an appended batch, which now carries its real offsets.
     *
     * @param writeMs when it was written: the append time, or the batch's timestamp when replaying
     */
    public void update(RecordBatch batch, long writeMs) {
        if (batch.hasProducerId()) {
            record(batch, batch.baseOffset(), batch.lastOffset());
            Entry entry = producers.get(batch.producerId());
            entry.lastWriteMs = Math.max(entry.lastWriteMs, writeMs);
        }
    }

    /** Forgets producers that have not written since {@code nowMs - EXPIRATION_MS}; returns how many. */
    public int removeExpired(long nowMs) {
        int before = producers.size();
        producers.values().removeIf(e -> nowMs - e.lastWriteMs >= EXPIRATION_MS);
        return before - producers.size();
    }

    private void record(RecordBatch batch, long firstOffset, long lastOffset) {
        Entry entry = producers.computeIfAbsent(batch.producerId(), id -> new Entry());
        if (batch.producerEpoch() != entry.epoch) {
            entry.epoch = batch.producerEpoch();
            entry.batches.clear();
        }
        entry.batches.addLast(new BatchMetadata(batch.baseSequence(), batch.lastSequence(), firstOffset, lastOffset));
        while (entry.batches.size() > BATCHES_KEPT) {
            entry.batches.removeFirst();
        }
    }

    private static Entry copy(Entry e) {
        if (e == null) {
            return null;
        }
        Entry c = new Entry();
        c.epoch = e.epoch;
        c.lastWriteMs = e.lastWriteMs;
        c.batches.addAll(e.batches);
        return c;
    }

    /** Forgets everything (before a replay). */
    public void clear() {
        producers.clear();
    }

    /** Producers with state; for tests and monitoring. */
    public int producerCount() {
        return producers.size();
    }

    /** The last batch of a producer, if any. */
    public Optional<BatchMetadata> lastBatch(long producerId) {
        Entry e = producers.get(producerId);
        return e == null ? Optional.empty() : Optional.ofNullable(e.batches.peekLast());
    }
}
