package io.tributary.storage;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A started log manager on a fresh temp dir with a fake clock for each test, closed after it. */
abstract class LogManagerTestBase {

    @TempDir
    Path tmp;
    StorageTestSupport.Harness h;
    LogManager manager;

    @BeforeEach
    void startLogManager() {
        h = new StorageTestSupport.Harness(tmp);
        manager = h.start();
    }

    @AfterEach
    void stopLogManager() throws InterruptedException {
        manager.close();
        h.close();
    }
}
