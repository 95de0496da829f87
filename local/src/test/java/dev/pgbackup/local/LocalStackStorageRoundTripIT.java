package dev.pgbackup.local;

import java.net.URI;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The storage round trip against LocalStack in a container. Runs only where a Docker engine answers and
 * {@code LOCALSTACK_AUTH_TOKEN} is set (the image needs a token since 2026-03); otherwise it is reported
 * as skipped, never failed. {@code LOCALSTACK_IMAGE} picks the image (default localstack/localstack:latest).
 */
@Testcontainers(disabledWithoutDocker = true)
@EnabledIfEnvironmentVariable(named = "LOCALSTACK_AUTH_TOKEN", matches = ".+")
class LocalStackStorageRoundTripIT extends StorageRoundTripContract {
    @Container
    static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse(
            System.getenv().getOrDefault("LOCALSTACK_IMAGE", "localstack/localstack:latest"))
            .asCompatibleSubstituteFor("localstack/localstack"))
            .withServices("s3", "ssm")
            .withEnv("LOCALSTACK_AUTH_TOKEN", System.getenv().getOrDefault("LOCALSTACK_AUTH_TOKEN", ""));

    @Override
    URI endpoint() {
        return LOCALSTACK.getEndpoint();
    }

    @Override
    String name() {
        return "localstack";
    }
}
