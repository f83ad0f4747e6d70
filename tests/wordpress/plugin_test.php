<?php
// The Parley Chat WordPress plugin against stubbed WordPress functions: what the settings form stores, and the
// embed it adds to public pages (the one-line data-key snippet, or ChatWidget.setup for a site id).
define( 'ABSPATH', __DIR__ );
$options = array(); $errors = array(); $scripts = array(); $inline = array(); $hooks = array();
function add_action( $hook, $fn ) { $GLOBALS['hooks'][ $hook ] = $fn; }
function add_filter( $hook, $fn ) { $GLOBALS['hooks'][ $hook ] = $fn; }
function get_option( $name, $default = false ) { return $GLOBALS['options'][ $name ] ?? $default; }
function __( $text ) { return $text; }
function esc_attr( $s ) { return htmlspecialchars( (string) $s, ENT_QUOTES ); }
function esc_url( $s ) { return esc_attr( esc_url_raw( $s ) ); }
function esc_url_raw( $s, $protocols = array( 'http', 'https' ) ) {
	$scheme = strtolower( (string) parse_url( $s, PHP_URL_SCHEME ) );
	return in_array( $scheme, $protocols, true ) ? $s : '';
}
function sanitize_text_field( $s ) { return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $s ) ) ); }
function untrailingslashit( $s ) { return rtrim( $s, '/\\' ); }
function add_settings_error( $setting, $code, $message, $type = 'error' ) { $GLOBALS['errors'][] = $code; }
function plugin_basename( $file ) { return basename( dirname( $file ) ) . '/' . basename( $file ); }
function wp_enqueue_script( $handle, $src ) { $GLOBALS['scripts'][ $handle ] = $src; }
function wp_add_inline_script( $handle, $code ) { $GLOBALS['inline'][ $handle ] = $code; }
function wp_json_encode( $v ) { return json_encode( $v, JSON_HEX_TAG | JSON_HEX_AMP | JSON_UNESCAPED_SLASHES ); }

require $argv[1];

$failed = 0;
function check( $what, $got, $want ) {
	global $failed;
	if ( $got === $want ) { echo "ok   $what\n"; return; }
	$failed++;
	echo "FAIL $what\n  got:  " . var_export( $got, true ) . "\n  want: " . var_export( $want, true ) . "\n";
}
function page() { // A public page: enqueue, then the tag WordPress would print.
	$GLOBALS['scripts'] = array(); $GLOBALS['inline'] = array();
	parley_chat_enqueue();
	if ( ! isset( $GLOBALS['scripts']['parley-chat'] ) ) return null;
	$src = $GLOBALS['scripts']['parley-chat'];
	return parley_chat_script_tag( "<script src='$src' id='parley-chat-js'></script>\n", 'parley-chat', $src );
}

$saved = parley_chat_sanitize( array( 'server_url' => ' https://chat.example.com/ ', 'widget_key' => 'pk_Ab-9_x', 'enabled' => '1' ) );
check( 'a URL and a key are stored clean', $saved, array( 'enabled' => true, 'debug' => false, 'server_url' => 'https://chat.example.com', 'widget_key' => 'pk_Ab-9_x' ) );
check( 'no error for good values', $errors, array() );
$options['parley_chat_settings'] = $saved;

$bad = parley_chat_sanitize( array( 'server_url' => 'javascript:alert(1)', 'widget_key' => '"><script>x</script>', 'enabled' => '1' ) );
check( 'a bad URL and key keep the stored values', array( $bad['server_url'], $bad['widget_key'] ), array( 'https://chat.example.com', 'pk_Ab-9_x' ) );
check( 'and say why', $errors, array( 'server_url', 'widget_key' ) );

check( 'a public key embeds the one-line snippet', page(), "<script src=\"https://chat.example.com/widget/widget.js\" data-key=\"pk_Ab-9_x\" async></script>\n" );
$options['parley_chat_settings']['debug'] = true;
check( 'debug adds data-debug', page(), "<script src=\"https://chat.example.com/widget/widget.js\" data-key=\"pk_Ab-9_x\" data-debug async></script>\n" );

$options['parley_chat_settings']['widget_key'] = 'acme-main';
check( 'a site id keeps WordPress\'s tag', page(), "<script src='https://chat.example.com/widget/widget.js' id='parley-chat-js'></script>\n" );
check( 'and calls ChatWidget.setup after it', $inline, array( 'parley-chat' => 'ChatWidget.setup({"siteId":"acme-main","debug":true});' ) );

$options['parley_chat_settings']['enabled'] = false;
check( 'switched off, nothing is added', page(), null );
check( 'other scripts are left alone', parley_chat_script_tag( '<script src="x.js"></script>', 'jquery', 'x.js' ), '<script src="x.js"></script>' );
exit( $failed ? 1 : 0 );
