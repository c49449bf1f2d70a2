package io.tributary.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class LeaderEpochCacheTest {

    @TempDir
    Path dir;

    @Test
    void endOffsetOfAnEpochIsWhereTheNextOneStartsAndTheLatestEndsAtTheLogEnd() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.load(dir, FileIo.system());
        cache.assign(0, 0);
        cache.assign(2, 100);
        cache.assign(5, 250);
        assertEquals(new LeaderEpochCache.EpochEndOffset(0, 100), cache.endOffsetFor(0, 300));
        assertEquals(new LeaderEpochCache.EpochEndOffset(0, 100), cache.endOffsetFor(1, 300), "an unknown epoch answers with the one below");
        assertEquals(new LeaderEpochCache.EpochEndOffset(2, 250), cache.endOffsetFor(3, 300));
        assertEquals(new LeaderEpochCache.EpochEndOffset(5, 300), cache.endOffsetFor(5, 300));
        assertEquals(new LeaderEpochCache.EpochEndOffset(5, 300), cache.endOffsetFor(9, 300));
        assertEquals(LeaderEpochCache.EpochEndOffset.UNDEFINED, cache.endOffsetFor(-1, 300));
    }

    @Test
    void onlyNewerEpochsAreAssignedAndTheyReplaceEntriesTheyContradict() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.load(dir, FileIo.system());
        cache.assign(1, 10);
        cache.assign(2, 20);
        assertFalse(cache.assign(2, 25));
        assertFalse(cache.assign(1, 30));
        cache.assign(4, 15);
        assertEquals(Map.of(1, 10L, 4, 15L), cache.entries());
    }

    @Test
    void theCheckpointIsKafkasFormatAndSurvivesReloadAndTruncation() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.load(dir, FileIo.system());
        cache.assign(0, 0);
        cache.assign(3, 40);
        cache.assign(4, 90);
        assertEquals("0\n3\n0 0\n3 40\n4 90\n", Files.readString(dir.resolve("leader-epoch-checkpoint")));
        cache.truncateFromEnd(90);
        LeaderEpochCache reloaded = LeaderEpochCache.load(dir, FileIo.system());
        assertEquals(Map.of(0, 0L, 3, 40L), reloaded.entries());
        assertEquals(3, reloaded.latestEpoch());
    }
}
