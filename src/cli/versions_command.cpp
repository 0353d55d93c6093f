// `maiev versions [--json] TAG...`
// Reads image tags as maiev reads them (docs/VERSIONS.md): each tag's species and version, then
// the tags of each species from oldest to newest.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "versions/version.hpp"

namespace maiev::cli {
namespace {

struct VersionsArgs {
  std::vector<std::string> tags;
  bool json = false;
};

constexpr std::string_view kUsage = "usage: maiev versions [--json] TAG...";
constexpr std::string_view kNone = "-";  // the table's cell for no species / no version

// The tags of one species that carry a version, oldest first; equal versions (`1.2`, `1.2.0`)
// adjacent in text order. Each tag text appears once.
struct SpeciesOrder {
  std::string species;
  std::vector<const versions::Tag*> tags;  // point into the caller's tags
};

std::vector<SpeciesOrder> OrderBySpecies(const std::vector<versions::Tag>& tags) {
  std::vector<SpeciesOrder> orders;  // species in order of first appearance
  for (const versions::Tag& tag : tags) {
    if (!tag.version) continue;
    auto order = std::find_if(orders.begin(), orders.end(),
                              [&](const SpeciesOrder& o) { return o.species == tag.species; });
    if (order == orders.end()) order = orders.insert(orders.end(), SpeciesOrder{tag.species, {}});
    const bool listed = std::any_of(order->tags.begin(), order->tags.end(),
                                    [&](const versions::Tag* t) { return t->text == tag.text; });
    if (!listed) order->tags.push_back(&tag);
  }
  for (SpeciesOrder& order : orders) {
    std::sort(order.tags.begin(), order.tags.end(),
              [](const versions::Tag* a, const versions::Tag* b) {
                const auto c = *a->version <=> *b->version;
                if (std::is_neq(c)) return std::is_lt(c);
                return a->text < b->text;
              });
  }
  return orders;
}

void PrintJson(const std::vector<versions::Tag>& tags, const std::vector<SpeciesOrder>& orders) {
  nlohmann::ordered_json out = {{"tags", nlohmann::ordered_json::array()},
                                {"order", nlohmann::ordered_json::object()}};
  for (const versions::Tag& tag : tags) {
    out["tags"].push_back(
        {{"tag", tag.text},
         {"species", tag.species},
         {"version", tag.version ? nlohmann::ordered_json(tag.version->Canonical())
                                 : nlohmann::ordered_json(nullptr)}});
  }
  for (const SpeciesOrder& order : orders) {
    nlohmann::ordered_json texts = nlohmann::ordered_json::array();
    for (const versions::Tag* tag : order.tags) texts.push_back(tag->text);
    out["order"][order.species] = std::move(texts);
  }
  std::cout << out.dump(2) << "\n";
}

std::string Cell(const std::string& text) { return text.empty() ? std::string(kNone) : text; }

std::string Pad(const std::string& text, std::size_t width) {
  return text + std::string(width - text.size() + 2, ' ');
}

// TAG  SPECIES  VERSION, then one line per species: `alpine: 3.6-alpine < 3.6.1-alpine`.
void PrintText(const std::vector<versions::Tag>& tags, const std::vector<SpeciesOrder>& orders) {
  std::size_t tag_width = std::string_view("TAG").size();
  std::size_t species_width = std::string_view("SPECIES").size();
  for (const versions::Tag& tag : tags) {
    tag_width = std::max(tag_width, tag.text.size());
    species_width = std::max(species_width, Cell(tag.species).size());
  }
  std::cout << Pad("TAG", tag_width) << Pad("SPECIES", species_width) << "VERSION\n";
  for (const versions::Tag& tag : tags) {
    std::cout << Pad(tag.text, tag_width) << Pad(Cell(tag.species), species_width)
              << (tag.version ? tag.version->Canonical() : std::string(kNone)) << "\n";
  }
  if (!orders.empty()) std::cout << "\n";
  for (const SpeciesOrder& order : orders) {
    std::cout << (order.species.empty() ? "(no species)" : order.species) << ": ";
    for (std::size_t i = 0; i < order.tags.size(); ++i) {
      if (i > 0) {
        std::cout << (*order.tags[i - 1]->version == *order.tags[i]->version ? " = " : " < ");
      }
      std::cout << order.tags[i]->text;
    }
    std::cout << "\n";
  }
}

int RunVersions(const VersionsArgs& args) {
  if (args.tags.empty()) {
    std::cerr << "maiev versions: no TAG given\n" << kUsage << "\n";
    return kExitBadInput;
  }
  std::vector<versions::Tag> tags;
  bool bad_input = false;
  for (std::size_t i = 0; i < args.tags.size(); ++i) {
    auto tag = versions::ParseTag(args.tags[i]);
    if (!tag) {
      std::cerr << "maiev versions: argument " << i + 1 << ": " << tag.error().message << "\n";
      bad_input = true;
      continue;
    }
    tags.push_back(std::move(tag).value());
  }
  if (bad_input) return kExitBadInput;
  const std::vector<SpeciesOrder> orders = OrderBySpecies(tags);
  if (args.json) {
    PrintJson(tags, orders);
  } else {
    PrintText(tags, orders);
  }
  return kExitOk;
}

}  // namespace

void RegisterVersionsCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VersionsArgs>();  // shared: owned by the callback and the options
  CLI::App* cmd = app.add_subcommand(
      "versions", "Read image tags as maiev does: species, version, and their order per species");
  cmd->add_option("tags", args->tags,
                  "Image tags, e.g. 3.6.1-alpine producer-1.0.16 1.3.0.119 latest");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, &exit_code] { exit_code = RunVersions(*args); });
}

}  // namespace maiev::cli
