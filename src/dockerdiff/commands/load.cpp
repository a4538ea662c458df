#include "dockerdiff/commands/load.hpp"

#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/delta.hpp"
#include "dockerdiff/commands/host.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/restore.hpp"
#include "dockerdiff/engine/layer_blobs.hpp"
#include "dockerdiff/plan/delta_plan.hpp"
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

// The host's images holding the references of a delta archive's patches, saved through the engine.
std::vector<OpenedArchive> save_references(const plan::DeltaRecord& record, const image::BaseSet& host, const std::string& engine_name) {
  std::vector<OpenedArchive> saved;
  std::set<std::string> names;
  for (const auto& patch : record.patches) {
    const auto* provider = host.find(patch.reference.chain_id);
    if (provider == nullptr || provider->images.empty()) continue;  // checked before: rebuild_delta names it
    const auto name = engine_name + ":" + provider->images.front();
    if (names.insert(name).second) saved.push_back(open_archive(Source(name)));
  }
  return saved;
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

  // Plan: refuse before the engine sees a byte. A delta archive's images also need the layers its
  // patches are made against.
  const auto decision = plan::plan_load(images, host, store);
  if (!decision.missing.empty()) throw Error(spec, report::load_refusal(decision.missing));
  std::size_t rebuilt = 0;
  if (slim.delta) {
    auto with_references = images;
    plan::add_reference_requirements(with_references, *slim.delta, slim.images);
    std::vector<plan::ImageCheck> missing;
    for (auto& check : plan::check_host(with_references, host)) {
      if (!check.missing.empty()) missing.push_back(std::move(check));
    }
    if (!missing.empty()) throw Error(spec, report::load_refusal(missing));
    auto references = save_references(*slim.delta, host, engine_name);
    rebuilt = rebuild_delta(slim, spec, references);
  }
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
    if (rebuilt > 0) std::cerr << rebuilt_summary(spec == "-" ? std::string("stdin") : spec, rebuilt);
  }
  return status;
}

}  // namespace dockerdiff::commands
