package dev.pgbackup.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgbackup.template.Stack;
import dev.pgbackup.testsupport.GlobalCallRecorder;
import dev.pgbackup.testsupport.MotoServer;
import dev.pgbackup.testsupport.RepoPaths;
import dev.pgbackup.testsupport.SeedData;
import dev.pgbackup.testsupport.TestPostgres;
import dev.pgbackup.testsupport.TestStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The functions of template.yaml running under the AWS Lambda Runtime Interface Emulator for
 * {@link RuntimeEmulatorIT}: the packaged (shaded) function jars with the handlers the template names, each with the
 * environment Lambda would give it, against moto and a real PostgreSQL. In a class of its own so that the IT reads
 * as what the events do; the jars' paths also serve other ITs.
 */
final class RuntimeEmulatorFixture {
    static final String DB = "rie_staging";
    static final String BUCKET = "rie-runtime-bucket";
    static final Map<String, LambdaRuntimeEmulator> functions = new LinkedHashMap<>();
    static TestPostgres pg;
    static TestStack stack;

    private RuntimeEmulatorFixture() {}

    /** Starts every function of template.yaml under the emulator, with the stack, database and bucket they use. */
    static void start() throws Exception {
        pg = TestPostgres.get();
        pg.dropDatabase(DB);
        pg.createDatabase(DB);
        SeedData.seed(pg, DB, 300, "rie");
        TestStack.createBucket(BUCKET);
        // the API hands a job to its worker through Lambda's asynchronous invoke (moto's Lambda API accepts it) and
        // answers 202 after this budget; the test then invokes the worker itself. The refresh schedule's event reaches
        // the backup worker; production has no backup in this bucket.
        stack = TestStack.create("staging", BUCKET, DB, Map.of("WaitBudgetSeconds", "1",
                "RefreshSourceEnvironment", "production"));
        registerWorkersInMotoLambda(stack.env.get("BACKUP_WORKER_FUNCTION"), stack.env.get("RESTORE_WORKER_FUNCTION"));
        Path logs = Files.createDirectories(RepoPaths.root().resolve("local/target/rie-logs"));
        List<Stack.Function> template = stack.template.functions();
        ExecutorService pool = Executors.newFixedThreadPool(template.size());
        try {
            Map<String, Future<LambdaRuntimeEmulator>> starting = new LinkedHashMap<>();
            for (Stack.Function f : template) {
                Map<String, String> env = environment(f);
                starting.put(f.logicalId(), pool.submit(() -> LambdaRuntimeEmulator.start(f.logicalId(),
                        functionJar(codeUri(f), f.logicalId()), f.handler(), env, logs, recorder())));
            }
            for (var e : starting.entrySet()) {
                functions.put(e.getKey(), e.getValue().get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(List.of("BackupApiFunction", "BackupWorkerFunction", "JobStatusFunction", "ListBackupsFunction",
                "RestoreApiFunction", "RestoreDrillFunction", "RestoreWorkerFunction", "RetentionPreviewFunction"),
                functions.keySet().stream().sorted().toList(), "the functions of template.yaml");
    }

    /**
     * What Lambda gives the function: the variables template.yaml sets for it (the layer where the tests have it),
     * the runtime's own, the emulator's endpoint and credentials, and where to record its calls.
     */
    private static Map<String, String> environment(Stack.Function f) {
        Map<String, String> env = new HashMap<>(stack.environmentOf(f));
        env.put("AWS_ENDPOINT_URL", MotoServer.get().endpoint().toString());
        env.put("S3_FORCE_PATH_STYLE", "true");
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Integer.toString(f.timeoutSeconds()));
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(f.memoryMb()));
        env.put("PGBACKUP_CALLS_FILE", RepoPaths.root().resolve("local/target/iam-calls/rie-" + f.logicalId() + "-"
                + java.util.UUID.randomUUID().toString().substring(0, 8) + ".jsonl").toString());
        env.put("PGBACKUP_CALLS_STACK", stack.template.name);
        env.put("PGBACKUP_CALLS_FUNCTION", f.logicalId());
        return env;
    }

    /** The function's code: the module the template's CodeUri names (the SAM transform made it an S3 key). */
    @SuppressWarnings("unchecked")
    private static String codeUri(Stack.Function f) {
        return String
                .valueOf(((Map<String, Object>) stack.template.properties(f.logicalId()).get("Code")).get("S3Key"));
    }

    /**
     * The classpath entries that make the SDK in the function's process record every call (GlobalCallRecorder, from
     * the tests' own classes, registered as a global interceptor in a directory only this classpath has).
     */
    private static List<String> recorder() throws IOException {
        Path registration = RepoPaths.root().resolve("local/target/rie-recorder");
        Path file = registration.resolve(GlobalCallRecorder.REGISTRATION);
        Files.createDirectories(file.getParent());
        Files.writeString(file, GlobalCallRecorder.class.getName() + "\n");
        try {
            return List.of(registration.toString(),
                    Path.of(GlobalCallRecorder.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                            .toString());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    static void stop() {
        functions.values().forEach(LambdaRuntimeEmulator::close);
    }

    /**
     * The worker functions as moto's Lambda API knows them, so that the API functions' asynchronous invoke
     * is accepted (202) as in AWS. moto is told not to run them (it would need Docker): the test invokes
     * the workers under the emulator itself.
     */
    static void registerWorkersInMotoLambda(String... names) throws Exception {
        java.net.URI moto = MotoServer.get().endpoint();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        http.send(java.net.http.HttpRequest.newBuilder(moto.resolve("/moto-api/config"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"lambda\":{\"use_docker\":false}}")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        String trust = java.net.URLEncoder.encode("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
                java.nio.charset.StandardCharsets.UTF_8);
        var created = http.send(java.net.http.HttpRequest.newBuilder(moto.resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("Action=CreateRole&Version=2010-05-08"
                        + "&RoleName=rie-workers&AssumeRolePolicyDocument=" + trust))
                .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        Matcher arn = Pattern.compile("<Arn>([^<]+)</Arn>").matcher(created.body());
        if (!arn.find()) {
            throw new IllegalStateException("moto IAM CreateRole: " + created.body());
        }
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
            z.putNextEntry(new java.util.zip.ZipEntry("placeholder.txt"));
            z.write("the code runs under the emulator".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            z.closeEntry();
        }
        try (var lambda = new dev.pgbackup.common.AwsClients(java.util.Optional.of(moto), true).lambda()) {
            for (String name : names) {
                lambda.createFunction(b -> b.functionName(name).runtime("java21").role(arn.group(1))
                        .handler("placeholder::handleRequest")
                        .code(c -> c.zipFile(software.amazon.awssdk.core.SdkBytes.fromByteArray(zip.toByteArray()))));
            }
        }
    }

    /** The project's version, from the POM the build ran with (the shaded jars carry it in their names). */
    static String projectVersion() {
        return System.getProperty("project.version", "1.0.0-SNAPSHOT");
    }

    /**
     * The shaded jar that mvn package builds and the function's Makefile hands to sam build: the API functions of the
     * backup and restore modules get the one without the workers' encryption SDK.
     */
    static Path functionJar(String codeUri, String function) {
        String module = Path.of(codeUri).getFileName().toString();
        boolean api = function.equals("BackupApiFunction") || function.equals("RestoreApiFunction");
        return RepoPaths.root().resolve(codeUri).resolve("target/" + module + "-" + projectVersion()
                + (api ? "-api.jar" : "-lambda.jar"));
    }

    static List<Path> eventFiles() throws IOException {
        try (Stream<Path> files = Files.list(RepoPaths.root().resolve("events"))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }
}
