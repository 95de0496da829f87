package dev.pgbackup.common.jobs;

/** How starting a job ended, as far as the API can tell within its wait budget. */
public sealed interface JobStart {
    JobRecord job();

    /** The worker was certainly not started; the job is recorded FAILED. Whatever the API reserved is its to free. */
    record NotLaunched(JobRecord job) implements JobStart {}

    /** The invoke's outcome is unknown (it may run): nothing the job holds may be freed by the API. */
    record LaunchUnknown(JobRecord job) implements JobStart {}

    /** The worker finished within the budget (SUCCEEDED or FAILED). */
    record Finished(JobRecord job) implements JobStart {}

    /** Still running when the budget ran out: the caller polls the job. */
    record Running(JobRecord job) implements JobStart {}
}
