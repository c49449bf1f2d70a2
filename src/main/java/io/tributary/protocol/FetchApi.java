package io.tributary.protocol;

import io.tributary.storage.ReadableLog;
import io.tributary.broker.Partition;
import io.tributary.storage.PartitionLog;
import io.tributary.storage.PartitionLog.LogReadInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.FetchRequest;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetch: committed records of each requested partition from the requested offset, whole batches
 * as stored, within the partition's and the response's byte limits (the first partition with data
 * always returns at least one batch so a batch larger than the limits cannot stall a consumer).
 * The records are file slices: the network thread transfers them from the page cache to the
 * socket without copying them through the heap.
 *
 * <p><b>Long poll:</b> when fewer than {@code min.bytes} are available and {@code max.wait.ms} is
 * positive, the request waits. It registers with each partition's log listener, which calls back
 * on the appending thread when the high watermark advances; the callback only schedules a re-read
 * on the request executor. The wait ends when the re-read finds enough bytes, or at
 * {@code max.wait.ms} (a timer on the scheduler), whichever is first; no thread is held meanwhile.
 *
 * <p>Fetch sessions (KIP-227) are not kept: every answer carries session id 0, which tells the
 * client to send full fetch requests.
 *
 * <p>Thread-safe.
 */
final class FetchApi implements KafkaApis.ApiHandler, PartitionLog.Listener {

    private static final System.Logger LOG = System.getLogger(FetchApi.class.getName());

    private final BrokerContext broker;
    /** Requests waiting for data, by partition. */
    private final Map<TopicPartition, Set<DelayedFetch>> waiting = new ConcurrentHashMap<>();
    /** Logs this handler listens to; weak so a deleted partition's log can be collected. */
    private final Set<PartitionLog> watched = Collections.newSetFromMap(Collections.synchronizedMap(new WeakHashMap<>()));

    FetchApi(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public CompletionStage<RequestHandler.Response> handle(KafkaApis.RequestContext ctx, AbstractRequest request) {
        FetchRequestData req = ((FetchRequest) request).data();
        short version = ctx.version();
        List<Target> targets = new ArrayList<>();
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                targets.add(new Target(t.topic(), version >= 13 ? t.topicId() : Uuid.ZERO_UUID, p));
            }
        }
        int replicaId = ((FetchRequest) request).replicaId();
        Read first = read(targets, req.maxBytes(), version, replicaId);
        if (req.maxWaitMs() <= 0 || first.bytes >= req.minBytes() || first.anyError || targets.isEmpty()) {
            return ctx.respondNow(first.response);
        }
        DelayedFetch delayed = new DelayedFetch(ctx, targets, req.maxBytes(), req.minBytes(), replicaId);
        delayed.start(req.maxWaitMs(), first.partitions());
        return delayed.result;
    }

    /** One requested partition. */
    private record Target(String topic, Uuid topicId, FetchRequestData.FetchPartition partition) {
    }

    /**
     * A read of every target, with the response and what it holds; {@code partitions} are the
     * targets' partitions in target order, null where a target could not be resolved.
     */
    private record Read(FetchResponseData response, int bytes, boolean anyError, List<Partition> partitions) {
    }

    /**
     * Reads every target. A follower ({@code replicaId >= 0}) reads up to the log end and its fetch
     * offset tells the leader what it holds; a consumer reads committed records from the leader only.
     */
    private Read read(List<Target> targets, int maxBytes, short version, int replicaId) {
        FetchResponseData out = new FetchResponseData().setSessionId(0).setErrorCode(Errors.NONE.code());
        int budget = Math.max(0, maxBytes);
        int total = 0;
        boolean anyError = false;
        List<Partition> partitions = new ArrayList<>();
        FetchResponseData.FetchableTopicResponse topic = null;
        for (Target target : targets) {
            if (topic == null || !Objects.equals(topic.topic(), target.topic()) || !topic.topicId().equals(target.topicId())) {
                topic = new FetchResponseData.FetchableTopicResponse().setTopic(target.topic()).setTopicId(target.topicId());
                out.responses().add(topic);
            }
            FetchRequestData.FetchPartition p = target.partition();
            FetchResponseData.PartitionData data = new FetchResponseData.PartitionData()
                    .setPartitionIndex(p.partition())
                    .setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)
                    .setPreferredReadReplica(-1)
                    .setRecords(MemoryRecords.EMPTY);
            topic.partitions().add(data);
            partitions.add(null);
            try {
                String name = broker.resolveTopic(target.topic(), target.topicId());
                Partition partition = broker.replicas().partitionOrThrow(new TopicPartition(name, p.partition()));
                partitions.set(partitions.size() - 1, partition);
                int limit = Math.min(Math.max(0, p.partitionMaxBytes()), budget);
                LogReadInfo info = replicaId >= 0
                        ? partition.fetchForFollower(replicaId, p.fetchOffset(), limit, p.currentLeaderEpoch())
                        : partition.readAsLeader(p.fetchOffset(), limit, total == 0, p.currentLeaderEpoch());
                int size = info.records().sizeInBytes();
                total += size;
                budget = Math.max(0, budget - size);
                // A follower's fetch may just have advanced the high watermark; tell it the newest.
                data.setHighWatermark(replicaId >= 0 ? partition.log().highWatermark() : info.highWatermark())
                        .setLastStableOffset(info.highWatermark())
                        .setLogStartOffset(version >= 5 ? info.logStartOffset() : -1)
                        .setRecords(info.records());
            } catch (OffsetOutOfRangeException e) {
                anyError = true;
                setOffsets(data, target, version);
                data.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
            } catch (ApiException e) {
                anyError = true;
                data.setErrorCode(Errors.forException(e).code());
            } catch (RuntimeException e) {
                anyError = true;
                LOG.log(Level.WARNING, "Fetch from " + target.topic() + "-" + p.partition() + " failed", e);
                data.setErrorCode(Errors.forException(e).code());
            }
        }
        return new Read(out, total, anyError, partitions);
    }

    /** An out-of-range answer still tells the client where the log starts and ends. */
    private void setOffsets(FetchResponseData.PartitionData data, Target target, short version) {
        try {
            String name = broker.resolveTopic(target.topic(), target.topicId());
            PartitionLog log = broker.replicas().partitionOrThrow(new TopicPartition(name, target.partition().partition())).log();
            data.setHighWatermark(log.highWatermark()).setLastStableOffset(log.highWatermark())
                    .setLogStartOffset(version >= 5 ? log.logStartOffset() : -1);
        } catch (RuntimeException e) {
            // The partition went away meanwhile; the error code says enough.
        }
    }

    @Override
    public void onHighWatermark(ReadableLog log, long highWatermark) {
        wake(log, false);
    }

    /** Followers read up to the log end, so an append is news to them before it is committed. */
    @Override
    public void onAppend(PartitionLog log, PartitionLog.LogAppendInfo info) {
        wake(log, true);
    }

    private void wake(ReadableLog log, boolean followers) {
        Set<DelayedFetch> fetches = waiting.get(log.topicPartition());
        if (fetches != null) {
            for (DelayedFetch f : fetches) {
                if ((f.replicaId >= 0) == followers) {
                    f.wake();
                }
            }
        }
    }

    /** A Fetch waiting for {@code min.bytes} or its deadline. */
    private final class DelayedFetch {
        final KafkaApis.RequestContext ctx;
        final List<Target> targets;
        final int maxBytes;
        final int minBytes;
        final int replicaId;
        final CompletableFuture<RequestHandler.Response> result = new CompletableFuture<>();
        final AtomicBoolean done = new AtomicBoolean();
        /** Coalesces wake-ups: at most one re-read is queued at a time. */
        final AtomicBoolean rereadQueued = new AtomicBoolean();
        final List<TopicPartition> registered = new ArrayList<>();
        volatile ScheduledFuture<?> timer;

        DelayedFetch(KafkaApis.RequestContext ctx, List<Target> targets, int maxBytes, int minBytes, int replicaId) {
            this.ctx = ctx;
            this.targets = targets;
            this.maxBytes = maxBytes;
            this.minBytes = minBytes;
            this.replicaId = replicaId;
        }

        /** Waits on the partitions the first read found (in target order; null where none was). */
        void start(int maxWaitMs, List<Partition> partitions) {
            // Register before the check below so an append between the first read and now is not missed.
            for (Partition partition : partitions) {
                if (partition == null) {
                    continue;
                }
                if (watched.add(partition.log())) {
                    partition.log().addListener(FetchApi.this);
                }
                TopicPartition tp = partition.topicPartition();
                waiting.compute(tp, (k, set) -> {
                    Set<DelayedFetch> s = set == null ? ConcurrentHashMap.newKeySet() : set;
                    s.add(this);
                    return s;
                });
                registered.add(tp);
            }
            try {
                timer = broker.scheduler().schedule(() -> finish(true), maxWaitMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                finish(true);
                return;
            }
            // A caught-up reader's fetch usually finds nothing new here: read again only if some
            // partition moved past its fetch offset since the first read.
            if (anyNewData(partitions)) {
                tryComplete();
            }
        }

        private boolean anyNewData(List<Partition> partitions) {
            for (int i = 0; i < partitions.size(); i++) {
                Partition partition = partitions.get(i);
                if (partition == null) {
                    continue;
                }
                PartitionLog log = partition.log();
                long end = replicaId >= 0 ? log.logEndOffset() : log.highWatermark();
                if (end > targets.get(i).partition().fetchOffset()) {
                    return true;
                }
            }
            return false;
        }

        void wake() {
            if (done.get() || !rereadQueued.compareAndSet(false, true)) {
                return;
            }
            try {
                broker.executor().execute(() -> {
                    rereadQueued.set(false);
                    tryComplete();
                });
            } catch (RejectedExecutionException e) {
                rereadQueued.set(false);
                finish(true);
            }
        }

        void tryComplete() {
            if (done.get()) {
                return;
            }
            Read read = read(targets, maxBytes, ctx.version(), replicaId);
            if (read.bytes >= minBytes || read.anyError) {
                complete(read);
            }
        }

        void finish(boolean expired) {
            if (!done.get()) {
                try {
                    complete(read(targets, maxBytes, ctx.version(), replicaId));
                } catch (RuntimeException e) {
                    if (done.compareAndSet(false, true)) {
                        unregister();
                        result.completeExceptionally(e);
                    }
                }
            }
        }

        private void complete(Read read) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            unregister();
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            result.complete(ctx.respond(read.response));
        }

        private void unregister() {
            for (TopicPartition tp : registered) {
                waiting.computeIfPresent(tp, (k, set) -> {
                    set.remove(this);
                    return set.isEmpty() ? null : set;
                });
            }
        }
    }
}
