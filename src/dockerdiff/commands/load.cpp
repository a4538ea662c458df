#include "dockerdiff/commands/load.hpp"

#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/host.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/restore.hpp"
#include "dockerdiff/engine/layer_blobs.hpp"
#include "dockerdiff/plan/host_blobs.hpp"
#include "dockerdiff/plan/load_plan.hpp"
#include "dockerdiff/report/host_reports.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::commands {

namespace {

// What docker's containerd image store holds; nullopt for a classic store and podman.
std::optional<plan::ContentStore> content_store(engine::EngineKind kind, image::BaseSet& host) {
  if (kind != engine::EngineKind::docker) return std::nullopt;
  const auto store = engine::docker_containerd_store();
  if (!store) return std::nullopt;
  auto listing = engine::list_layer_blobs(*store);
  if (!listing.unavailable.empty()) {
    std::cerr << "dockerdiff: warning: docker uses the containerd image store, and its content cannot be listed ("
              << printable_line(listing.unavailable)
              << "): every layer the archive leaves out is written into the load from this host's images\n";
    return plan::ContentStore{};
  }
  for (const auto& blob : listing.blobs) host.add_blob(blob);
  return plan::ContentStore{std::move(listing.content)};
}

}  // namespace

int run_load(const LoadOptions& options) {
  const auto& spec = options.archive.spec();
  if (spec.empty()) throw usage_error("load", "no SLIM archive given");
  if (options.archive.engine_image() != nullptr) throw usage_error(spec, "load reads a slim archive file or '-', not an engine's image");
  progress::Meter meter(options.quiet ? progress::Mode::none : options.progress);

  // Read: the slim archive and the host, before anything is loaded.
  auto slim = open_archive(options.archive);
  const auto images = slim_requirements(slim, spec);
  const auto engine_name = std::string(engine::engine_program(options.engine));
  image::BaseSet host;
  host.add_inventory(engine_name, engine::inspect_all_images(options.engine));
  const auto store = content_store(options.engine, host);

  // Plan: refuse before the engine sees a byte.
  const auto decision = plan::plan_load(images, host, store);
  if (!decision.missing.empty()) throw Error(spec, report::load_refusal(decision.missing));
  std::vector<OpenedArchive> providers;
  std::vector<std::string> provider_names;
  for (const auto& name : decision.providers) {
    provider_names.push_back(engine_name + ":" + name);
    providers.push_back(open_archive(Source(provider_names.back())));
  }
  // The Docker 25+ layout, which every engine reads: manifest.json for docker's classic store and
  // podman (layers by diff_id), the index for containerd (layers by digest: an emptied legacy layer
  // file would be recorded as the empty blob).
  auto restore = plan_restore_of(slim, spec, providers, provider_names, plan::LayoutMode::automatic, decision.refill);
  if (decision.names_host_blobs) {
    std::vector<plan::PlanInput> inputs{{spec, &slim.input->entries(), &slim.images}};
    for (std::size_t i = 0; i < providers.size(); ++i) {
      inputs.push_back({provider_names[i], &providers[i].input->entries(), &providers[i].images});
    }
    restore.plan.renamed_blobs = plan::name_host_blobs(restore.plan.entries, inputs, host);
  }

  // Write: straight into the engine's load.
  std::vector<archive::ArchiveInput*> sources{slim.input.get()};
  for (auto& provider : providers) sources.push_back(provider.input.get());
  const int status = engine::load_archive(options.engine, options.quiet, [&](int fd) {
    auto sink = archive::make_fd_sink(fd, engine_name + " load");
    write_plan(restore.plan, sources, *sink, "loading into " + engine_name);
  });
  meter.stop();

  if (status == 0 && !options.quiet) {
    report::LoadSummary summary{0, restore.refilled.size(), decision.providers, restore.plan.renamed_blobs.size()};
    std::set<std::string> chains;
    for (const auto& image : images) {
      for (const auto& layer : image.required) chains.insert(layer.chain_id);
    }
    summary.from_host = chains.size();
    std::cerr << report::load_summary(spec == "-" ? std::string("stdin") : spec, summary);
  }
  return status;
}

}  // namespace dockerdiff::commands
