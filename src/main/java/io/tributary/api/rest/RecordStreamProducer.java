package io.tributary.api.rest;

import io.tributary.broker.RecordService.ProduceRequest;
import io.tributary.broker.RecordService.ProduceResult;
import io.tributary.broker.UnknownPartitionException;
import jakarta.json.JsonObject;
import org.apache.kafka.common.errors.RecordTooLargeException;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The streaming v3 produce: reads record objects from a request body and answers each, in order,
 * with one line.
 *
 * <p>Records are stored in groups: every record whose bytes have already arrived when the previous
 * one is parsed (at most {@link #MAX_GROUP_RECORDS}) goes to the broker in one produce call, so a
 * fast client gets one append per partition per group instead of one per record, and the group's
 * answers leave with one write and one flush. A group ends as soon as nothing more is buffered, so
 * a slow client still has each record answered as soon as it is stored.
 *
 * <p>A record that cannot be parsed is answered in place. If the group's produce call fails because
 * of one record (an unknown partition, a record too large; the broker checks these before
 * appending anything), each record of the group is produced alone, so only the bad one is answered
 * with the error. Any other failure (the topic is unknown, the broker does not lead a partition, a
 * log directory is offline) is answered to every record of the group. Malformed JSON ends the
 * stream after the records before it are answered.
 *
 * <p>Not thread-safe: one per request.
 */
final class RecordStreamProducer {

    /** Bounds the records stored together, and so how long the first of them waits for its answer. */
    static final int MAX_GROUP_RECORDS = 1000;

    private final String clusterId;
    private final String topic;
    private final BiFunction<String, List<ProduceRequest>, List<ProduceResult>> produce;
    private final Function<RuntimeException, ErrorResponse> errors;

    /**
     * @param produce stores records of a topic, all or nothing (RecordService's contract)
     * @param errors  the error answer for a failure
     */
    RecordStreamProducer(String clusterId, String topic,
                         BiFunction<String, List<ProduceRequest>, List<ProduceResult>> produce,
                         Function<RuntimeException, ErrorResponse> errors) {
        this.clusterId = clusterId;
        this.topic = topic;
        this.produce = produce;
        this.errors = errors;
    }

    /** Answers {@code first} (if present) and every record of {@code rest}, until its end or malformed JSON. */
    void run(Optional<JsonObject> first, JsonObjectStream rest, OutputStream out) throws IOException {
        ProduceResultWriter answers = new ProduceResultWriter();
        Optional<JsonObject> pending = first;
        while (true) {
            List<Object> group = new ArrayList<>();
            RestException malformed = null;
            boolean ended = false;
            do {
                Optional<Object> next = pending.map(o -> o);
                pending = Optional.empty();
                if (next.isEmpty()) {
                    try {
                        next = rest.next(RecordStreamProducer::read);
                    } catch (RestException e) {
                        malformed = e;
                        break;
                    }
                }
                if (next.isEmpty()) {
                    ended = true;
                    break;
                }
                if (next.get() instanceof V3RecordParser.Parsed plain) {
                    group.add(plain);
                    continue;
                }
                try {
                    group.add(V3RecordParser.parse((JsonObject) next.get()));
                } catch (RuntimeException e) {
                    group.add(error(e));
                }
            } while (group.size() < MAX_GROUP_RECORDS && rest.nextIsBuffered());
            answer(group, answers);
            if (malformed != null) {
                // The stream cannot be re-synchronised after malformed JSON: answer it and stop.
                answers.add(new V3Dtos.ProduceResult(malformed.status(), malformed.getMessage(), clusterId, topic,
                        null, null, null, null, null));
            }
            answers.flushTo(out);
            if (malformed != null || ended) {
                return;
            }
        }
    }

    /**
     * A record object in its plain form read straight from its bytes ({@link V3PlainRecord}), or
     * any other parsed by JSON-P (which throws for malformed JSON, ending the stream).
     */
    private static Object read(byte[] bytes, int offset, int length) {
        V3RecordParser.Parsed plain = V3PlainRecord.scan(bytes, offset, length);
        return plain != null ? plain : JsonBodies.object(bytes, offset, length);
    }

    /** Produces the group's parsed records and adds one answer per entry, in order. */
    private void answer(List<Object> group, ProduceResultWriter answers) {
        List<V3RecordParser.Parsed> parsed = new ArrayList<>(group.size());
        for (Object entry : group) {
            if (entry instanceof V3RecordParser.Parsed p) {
                parsed.add(p);
            }
        }
        List<Object> outcomes = produceGroup(parsed);
        int next = 0;
        for (Object entry : group) {
            if (entry instanceof V3RecordParser.Parsed p) {
                Object outcome = outcomes.get(next++);
                answers.add(outcome instanceof ProduceResult r ? success(p, r) : (V3Dtos.ProduceResult) outcome);
            } else {
                answers.add((V3Dtos.ProduceResult) entry);
            }
        }
    }

    /** One outcome per record: its {@link ProduceResult} or its error answer. */
    private List<Object> produceGroup(List<V3RecordParser.Parsed> parsed) {
        if (parsed.isEmpty()) {
            return List.of();
        }
        List<ProduceRequest> requests = new ArrayList<>(parsed.size());
        for (V3RecordParser.Parsed p : parsed) {
            requests.add(p.request());
        }
        try {
            return new ArrayList<>(produce.apply(topic, requests));
        } catch (RuntimeException e) {
            List<Object> outcomes = new ArrayList<>(parsed.size());
            if (parsed.size() > 1 && concernsOneRecord(e)) {
                for (ProduceRequest r : requests) {
                    try {
                        outcomes.add(produce.apply(topic, List.of(r)).get(0));
                    } catch (RuntimeException alone) {
                        outcomes.add(error(alone));
                    }
                }
            } else {
                V3Dtos.ProduceResult answer = error(e);
                for (int i = 0; i < parsed.size(); i++) {
                    outcomes.add(answer);
                }
            }
            return outcomes;
        }
    }

    /** Failures the broker finds before appending anything, caused by a single record. */
    private static boolean concernsOneRecord(RuntimeException e) {
        return e instanceof UnknownPartitionException || e instanceof RecordTooLargeException;
    }

    private V3Dtos.ProduceResult success(V3RecordParser.Parsed p, ProduceResult r) {
        return new V3Dtos.ProduceResult(200, null, clusterId, topic, r.partition(), r.offset(),
                instant(r.timestamp()), p.key(), p.value());
    }

    // Records stored together mostly share the broker's clock reading: formatting an instant costs
    // more than the rest of a record's answer.
    private long lastTimestamp = Long.MIN_VALUE;
    private String lastInstant;

    private String instant(long timestamp) {
        if (timestamp != lastTimestamp) {
            lastInstant = Instant.ofEpochMilli(timestamp).toString();
            lastTimestamp = timestamp;
        }
        return lastInstant;
    }

    private V3Dtos.ProduceResult error(RuntimeException e) {
        ErrorResponse error = errors.apply(e);
        return new V3Dtos.ProduceResult(error.errorCode(), error.message(), clusterId, topic,
                null, null, null, null, null);
    }
}
