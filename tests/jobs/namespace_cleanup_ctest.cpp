// delete_namespace_and_wait on the real cluster: it waits until the namespace is gone, and when
// something blocks the deletion it names it after the timeout instead of hanging.
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.h"
#include "jobs/job_run.h"
#include "kube/kubeconfig.h"
#include "support/cluster_env.h"
#include "support/kubench_process.h"

namespace kb::jobs {
namespace {
using nlohmann::json;

class NamespaceCleanup : public ::testing::Test {
 protected:
  test::ClusterEnv env;
  std::shared_ptr<kube::Client> admin;
  std::string ns = "kt-cleanup-" + std::to_string(::getpid());

  NamespaceCleanup() {
    kube::LoadOptions load;
    load.kubeconfig = env["KUBENCH_CLUSTER_ADMIN_KUBECONFIG"];
    admin = std::make_shared<kube::Client>(std::make_shared<kube::Transport>(kube::load_rest_config(load)));
    admin->create(kube::resources::namespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  }
  ~NamespaceCleanup() override {
    // Unblock and remove whatever a failed test left.
    if (admin->get_if_exists(kube::resources::config_maps, ns, "held"))
      admin->patch(kube::resources::config_maps, ns, "held", {{"metadata", {{"finalizers", nullptr}}}}, kube::PatchType::merge);
    admin->remove(kube::resources::namespaces, "", ns);
  }
};

TEST_F(NamespaceCleanup, WaitsUntilTheNamespaceIsGone) {
  std::vector<std::string> notes;
  delete_namespace_and_wait(*admin, ns, 60, [&](const std::string& s) { notes.push_back(s); });
  EXPECT_FALSE(admin->get_if_exists(kube::resources::namespaces, "", ns));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("Namespace " + ns + " deleted"), std::string::npos);
  // Deleting what is already gone is fine.
  EXPECT_NO_THROW(delete_namespace_and_wait(*admin, ns, 5, nullptr));
}

TEST_F(NamespaceCleanup, StuckNamespaceNamesTheBlockingFinalizer) {
  admin->create(kube::resources::config_maps, ns,
                {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "held"}, {"finalizers", {"kubench.io/test-hold"}}}}});
  // The namespace controller names what blocks a deletion in the namespace's conditions, which on a
  // loaded machine takes longer than the 5 s below: delete first and wait for them (a namespace
  // already terminating is what delete_namespace_and_wait then waits for, not an error).
  admin->remove(kube::resources::namespaces, "", ns);
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto n = admin->get_if_exists(kube::resources::namespaces, "", ns);
        for (const auto& c : n ? (*n)["status"].value("conditions", json::array()) : json::array())
          if (c.value("type", "") == "NamespaceFinalizersRemaining" && c.value("status", "") == "True") return true;
        return false;
      },
      std::chrono::seconds(120)));
  try {
    delete_namespace_and_wait(*admin, ns, 5, nullptr);
    FAIL() << "a namespace held by a finalizer cannot be gone";
  } catch (const EnvironmentError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("namespace " + ns + " is still terminating after 5 s"), std::string::npos) << what;
    EXPECT_NE(what.find("kubench.io/test-hold"), std::string::npos) << what;
  }
  // Once the finalizer is removed the namespace goes, and the wait says so.
  admin->patch(kube::resources::config_maps, ns, "held", {{"metadata", {{"finalizers", nullptr}}}}, kube::PatchType::merge);
  EXPECT_NO_THROW(delete_namespace_and_wait(*admin, ns, 60, nullptr));
  EXPECT_FALSE(admin->get_if_exists(kube::resources::namespaces, "", ns));
}

}  // namespace
}  // namespace kb::jobs
