package dev.pgbackup.common;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The shape of {@code common} kept as tests (docs/architecture-rules.md): its packages form no cycle, the lower
 * ones (storage, config, time, failure) do not reach up into jobs or HTTP, and nothing below the root package
 * reaches the composition root. The root package's utilities (Json, Hashes, Once, AwsClients) may be used from
 * anywhere; the slices below leave the root package out for that reason.
 */
class CommonArchitectureTest {
    private static final JavaClasses COMMON = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pgbackup.common");

    @Test
    void thePackagesOfCommonFormNoCycle() {
        slices().matching("dev.pgbackup.common.(*)..").should().beFreeOfCycles().check(COMMON);
    }

    @Test
    void onlyTheRootPackageSeesTheCompositionRoot() {
        noClasses().that().resideOutsideOfPackage("dev.pgbackup.common")
                .should().dependOnClassesThat().haveFullyQualifiedName(Wiring.class.getName())
                .orShould().dependOnClassesThat().haveFullyQualifiedName(Priming.class.getName())
                .because("the composition root wires the packages together; a package that asks it for its "
                        + "collaborators hides what it uses")
                .check(COMMON);
    }

    @Test
    void storageDoesNotKnowAboutJobs() {
        noClasses().that().resideInAPackage("dev.pgbackup.common.storage..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.common.jobs..",
                        "dev.pgbackup.common.http..", "dev.pgbackup.common.events..")
                .because("storage is what jobs, HTTP answers and events are built on")
                .check(COMMON);
    }

    @Test
    void theBottomPackagesDependOnNothingAboveThem() {
        String[] bottom = {"dev.pgbackup.common.failure..", "dev.pgbackup.common.time.."};
        classes().that().resideInAnyPackage(bottom)
                .should().onlyDependOnClassesThat(
                        resideInAnyPackage(bottom).or(resideOutsideOfPackage("dev.pgbackup..")))
                .because("a failure or a deadline is what every other package may use, so they use none of them")
                .check(COMMON);
    }

    @Test
    void configurationIsReadWithoutJobsStorageOrAws() {
        noClasses().that().resideInAPackage("dev.pgbackup.common.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.common.jobs..",
                        "dev.pgbackup.common.storage..", "dev.pgbackup.common.http..", "dev.pgbackup.common.db..",
                        "dev.pgbackup.common.events..", "dev.pgbackup.common.auth..", "software.amazon.awssdk..")
                .because("every other package reads its settings from config; config reading them back is a cycle")
                .check(COMMON);
    }

    @Test
    void commonKnowsNoFunctionModule() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.backup..",
                "dev.pgbackup.list..", "dev.pgbackup.restore..", "dev.pgbackup.local..", "dev.pgbackup.bench..")
                .because("the functions are built on common, never the reverse")
                .check(COMMON);
    }
}
