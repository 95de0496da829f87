package dev.pgbackup.common.storage;

import dev.pgbackup.testsupport.InMemoryObjectStore;

/** The in-memory store behind the rule tests keeps the same contract as the S3 one ({@code S3ObjectStoreIT}). */
class InMemoryObjectStoreTest extends ObjectStoreContract {
    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Override
    ObjectStore store() {
        return store;
    }

    @Override
    ObjectStore storeWithoutBucket() {
        return new InMemoryObjectStore("no-such-bucket", java.time.Clock.systemUTC()).withoutBucket();
    }
}
