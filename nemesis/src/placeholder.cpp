namespace faultline::nemesis { int unused_placeholder_ = 0; }
