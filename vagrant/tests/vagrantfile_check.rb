# Loads the Vagrantfile with a recording stand-in for Vagrant's DSL (Vagrant
# itself is not installed on CI machines) and checks what it defines: five
# nodes and a controller, each on its own private address in VirtualBox's
# host-only range, each provisioned by scripts that exist.
require "ipaddr"

class Recorder
  attr_reader :calls
  def initialize(log, path = [])
    @log = log
    @path = path
  end
  def method_missing(name, *args, **kw, &block)
    @log << [@path + [name], args, kw]
    child = Recorder.new(@log, @path + [name])
    block.call(child) if block
    child
  end
  def respond_to_missing?(*) = true
end

module Vagrant
  LOG = []
  def self.configure(_version, &block) = block.call(Recorder.new(LOG))
end

dir = File.expand_path("..", __dir__)
Dir.chdir(dir) { load File.join(dir, "Vagrantfile") }

defines = Vagrant::LOG.select { |path, _, _| path == [:vm, :define] }.map { |_, args, _| args[0] }
abort "expected n1..n5 and controller, got #{defines.inspect}" unless defines.sort == %w[controller n1 n2 n3 n4 n5]
ips = Vagrant::LOG.select { |path, args, _| path.last == :network && args[0] == :private_network }
                  .map { |_, _, kw| kw[:ip] }
abort "expected 6 distinct private addresses, got #{ips.inspect}" unless ips.uniq.size == 6
range = IPAddr.new("192.168.56.0/21")
ips.each { |ip| abort "#{ip} is outside VirtualBox's host-only range" unless range.include?(IPAddr.new(ip)) }
scripts = Vagrant::LOG.select { |path, _, _| path.last == :provision }.map { |_, _, kw| kw[:path] }.uniq
scripts.each { |s| abort "provisioning script #{s} is missing" unless File.executable?(File.join(dir, s)) }
providers = Vagrant::LOG.select { |path, _, _| path.last == :provider }.map { |_, args, _| args[0] }.uniq.sort
abort "expected libvirt and virtualbox providers, got #{providers.inspect}" unless providers == %i[libvirt virtualbox]
puts "Vagrantfile: #{defines.size} machines, addresses #{ips.sort.join(' ')}, scripts #{scripts.join(' ')}"
